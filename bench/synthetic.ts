import type { Dataset } from '../src/kernel/dataset'

/** The real dataset repeated `times` over as one long list of tasks (160 → 16,000 for times = 100). */
export function scaleDataset(real: Dataset, times: number): Dataset {
  const tasks = []
  for (let copy = 0; copy < times; copy++) {
    for (const t of real.tasks) {
      tasks.push({
        ...t,
        number: copy * real.tasks.length + t.number,
        text: copy === 0 ? t.text : `${t.text}（副本${copy}）`,
      })
    }
  }
  return { ...real, version: `${real.version}-x${times}`, tasks }
}
