/** `npm run dataset`: seeds/ → public/data/dataset.json. Fails, with the seed's line number, on a surprise. */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pinyin } from 'pinyin-pro'
import { buildDataset } from '../src/dataset/build'
import { parseSeed, SeedFormatError } from '../src/dataset/parse'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const SEED_PATH = resolve(root, 'seeds/gd-ip-strategy-2016-work-points.txt')
export const DATASET_PATH = resolve(root, 'public/data/dataset.json')

export function romanize(name: string): string[] {
  const chinese = name.replace(/[^\u3400-\u9fff]/g, '')
  return pinyin(chinese, { toneType: 'none', type: 'array' })
}

/** Readings in context, so a character read two ways (行 xing/hang) is listed under the ones the text uses. */
export function readText(text: string): [string, string][] {
  return pinyin(text, { toneType: 'none', type: 'all' })
    .filter((c) => c.isZh && /^[\u3400-\u9fff]$/.test(c.origin))
    .map((c) => [c.origin, c.pinyin.toLowerCase().replace(/ü/g, 'v')])
}

export function datasetFromSeed(source: string) {
  return buildDataset(parseSeed(source), romanize, (text) => createHash('sha256').update(text).digest('hex'), readText)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const dataset = datasetFromSeed(readFileSync(process.argv[2] ?? SEED_PATH, 'utf8'))
    mkdirSync(dirname(DATASET_PATH), { recursive: true })
    writeFileSync(DATASET_PATH, JSON.stringify(dataset))
    console.log(
      `dataset ${dataset.version}: ${dataset.sections.length} sections, ${dataset.tasks.length} tasks, ${dataset.departments.length} departments`,
    )
  } catch (err) {
    if (err instanceof SeedFormatError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}
