import { describe, expect, it } from 'vitest'
import { datasetFromSeed } from '../../scripts/build-dataset'
import { assertDataset, DatasetShapeError } from '../../src/kernel/dataset-validate'
import { alteredSeed, realDataset } from '../helpers/seed'

describe('the built dataset', () => {
  it('counts each department per role over all tasks', () => {
    for (const d of realDataset.departments) {
      for (const role of ['lead', 'responsible', 'cooperating'] as const) {
        const n = realDataset.tasks.filter((t) =>
          t.departments.some((x) => x.name === d.name && x.role === role),
        ).length
        expect(d.counts[role], `${d.name} ${role}`).toBe(n)
      }
    }
    const names = realDataset.tasks.flatMap((t) => t.departments.map((d) => d.name))
    expect(realDataset.departments.map((d) => d.name).sort()).toEqual([...new Set(names)].sort())
  })

  it('carries pinyin and initials so the phone needs no dictionary', () => {
    const find = (name: string) => realDataset.departments.find((d) => d.name === name)!
    expect(find('省工商局')).toMatchObject({ pinyin: 'shenggongshangju', initials: 'sgsj' })
    expect(find('省新闻出版广电局（版权局）').initials).toBe('sxwcbgdjbqj')
    expect(find('海关总署广东分署').initials).toBe('hgzsgdfs')
  })

  it('has a version that changes with the content and only then', () => {
    expect(realDataset.version).toMatch(/^[0-9a-f]{16}$/)
    expect(datasetFromSeed(alteredSeed('（省林业厅负责）', '（省林业厅负责）')).version).toBe(realDataset.version)
    expect(datasetFromSeed(alteredSeed('严厉打击以次充好', '严厉打击以次冲好')).version).not.toBe(realDataset.version)
  })

  it('passes its own shape check, and a broken copy does not', () => {
    expect(assertDataset(JSON.parse(JSON.stringify(realDataset))).tasks).toHaveLength(160)
    const broken = JSON.parse(JSON.stringify(realDataset))
    broken.tasks[4].departments[0].role = 'boss'
    expect(() => assertDataset(broken)).toThrow(DatasetShapeError)
    expect(() => assertDataset({ version: 'x' })).toThrow(/document/)
  })
})
