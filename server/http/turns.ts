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

/**
 * Requests let in one per turn of the event loop. 200 phones asking at the same moment arrive in one poll of the
 * loop, and each one's start (its session read, its route's first queries) ran in that same turn: a health check
 * arriving just after waited for all 200. Let in here one at a time, each after the loop has polled again, the
 * health check (which does not wait here) is read within a request's start. Nothing is refused or reordered.
 */
export class Admission {
  private readonly waiting: (() => void)[] = []
  private pumping = false

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (!this.pumping) {
        this.pumping = true
        setImmediate(this.pump)
      }
    })
  }

  private readonly pump = (): void => {
    this.waiting.shift()?.()
    // An immediate set while the loop runs its immediates waits for the loop's next turn, after its next poll.
    if (this.waiting.length > 0) setImmediate(this.pump)
    else this.pumping = false
  }
}
