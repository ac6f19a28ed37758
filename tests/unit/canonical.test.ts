import { describe, expect, it } from 'vitest'
import { canonicalJson, JsonTooDeep, MAX_JSON_DEPTH, nestedDeeperThan, recordHash } from '../../src/kernel/canonical'

const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value }
  return value
}

describe('canonicalJson', () => {
  it('sorts keys at every level and otherwise writes what JSON.stringify writes', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    )
    const flat = { a: 'x\u0000y', b: [1, 'é', true], c: null, d: '长' }
    expect(canonicalJson(flat)).toBe(JSON.stringify(flat))
  })

  it(`takes ${MAX_JSON_DEPTH} levels of nesting and refuses more with JsonTooDeep, never a stack overflow`, async () => {
    expect(() => canonicalJson(nested(MAX_JSON_DEPTH))).not.toThrow()
    expect(() => canonicalJson(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeep)
    // 5,000 levels overflowed the stack in JSON.stringify's replacer (a RangeError the server took for a
    // temporary failure).
    for (const depth of [5_000, 100_000]) {
      expect(() => canonicalJson(nested(depth))).toThrow(JsonTooDeep)
      await expect(recordHash(nested(depth))).rejects.toThrow(JsonTooDeep)
    }
  })
})

describe('nestedDeeperThan', () => {
  it('counts levels of arrays and objects, and answers for a cycle', () => {
    expect(nestedDeeperThan(1, 0)).toBe(false)
    expect(nestedDeeperThan([], 0)).toBe(true)
    expect(nestedDeeperThan([], 1)).toBe(false)
    expect(nestedDeeperThan({ a: [{}] }, 3)).toBe(false)
    expect(nestedDeeperThan({ a: [{}] }, 2)).toBe(true)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(nestedDeeperThan(cycle, MAX_JSON_DEPTH)).toBe(true)
  })
})
