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
 * Requests let in a few per turn of the event loop. 200 phones asking at the same moment arrive in one poll of the
 * loop, and each one's start (its session read, on SQLite its whole pull) ran in that same turn: a health check
 * arriving just after waited for all 200. Let in here a few at a time, each batch after the loop has polled again,
 * the health check (which does not wait here) is read within a batch's work. How many a turn adapts to how long a
 * turn takes: one while turns are slow (SQLite answering on this thread), up to `MAX_PER_TURN` while they are quick
 * (PostgreSQL answers on its own cores), so the gate never limits throughput. Nothing is refused or reordered.
 */
export class Admission {
  static readonly MAX_PER_TURN = 64
  /** A turn longer than this lets fewer in next time; a shorter one more. */
  static readonly SLOW_TURN_MS = 20
  static readonly QUICK_TURN_MS = 5
  private readonly waiting: (() => void)[] = []
  private pumping = false
  private perTurn = 1
  private lastTurn = 0

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (!this.pumping) {
        this.pumping = true
        this.lastTurn = performance.now()
        setImmediate(this.pump)
      }
    })
  }

  private readonly pump = (): void => {
    const now = performance.now()
    const turn = now - this.lastTurn
    this.lastTurn = now
    if (turn > Admission.SLOW_TURN_MS) this.perTurn = Math.max(1, this.perTurn >> 1)
    else if (turn < Admission.QUICK_TURN_MS) this.perTurn = Math.min(Admission.MAX_PER_TURN, this.perTurn * 2)
    for (let n = 0; n < this.perTurn && this.waiting.length > 0; n++) this.waiting.shift()!()
    // An immediate set while the loop runs its immediates waits for the loop's next turn, after its next poll.
    if (this.waiting.length > 0) setImmediate(this.pump)
    else this.pumping = false
  }
}
