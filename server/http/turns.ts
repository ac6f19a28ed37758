/**
 * Work taken in turns, first come first served, `width` at a time. Between two turns the event loop first
 * reads what else has arrived, so a burst of heavy requests (200 phones pulling a page each) neither starves
 * one of them nor keeps a health check or a push waiting behind all the rest: SQLite answers on this thread.
 */
export class Turns {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly width: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.width) this.running++
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      // The turn passes on after the loop has polled for I/O (setImmediate), not straight away (a microtask).
      if (next) setImmediate(next)
      else this.running--
    }
  }
}
