import { readFileSync } from 'node:fs'
import { datasetFromSeed, SEED_PATH } from '../../scripts/build-dataset'

export const seedText = readFileSync(SEED_PATH, 'utf8')
export const realDataset = datasetFromSeed(seedText)

/** The seed with one exact passage replaced; fails loudly if the passage is not there. */
export function alteredSeed(from: string, to: string): string {
  if (!seedText.includes(from)) throw new Error(`seed has no "${from}"`)
  return seedText.replace(from, to)
}

/** 1-based line number of the first line containing `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle))
  if (i < 0) throw new Error(`no line contains "${needle}"`)
  return i + 1
}
