import { describe, expect, it } from 'vitest'
import { Turns } from '../../server/http/turns'

describe('Turns', () => {
  it('runs work `width` at a time, first come first served', async () => {
    const turns = new Turns(2)
    let running = 0
    let most = 0
    const order: number[] = []
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        turns.run(async () => {
          running++
          most = Math.max(most, running)
          order.push(i)
          await new Promise((r) => setTimeout(r, 5))
          running--
        }),
      ),
    )
    expect(most).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('lets what arrived meanwhile (I/O, a health check) run before the next turn starts', async () => {
    const turns = new Turns(1)
    const log: string[] = []
    await Promise.all([
      turns.run(async () => {
        log.push('first')
        // Stands for a request read from a socket while the first turn runs.
        setImmediate(() => log.push('arrived meanwhile'))
      }),
      turns.run(async () => void log.push('second')),
    ])
    expect(log).toEqual(['first', 'arrived meanwhile', 'second'])
  })

  it('passes the turn on when work fails', async () => {
    const turns = new Turns(1)
    await expect(turns.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await turns.run(async () => 'next')).toBe('next')
  })
})
