import { pinyin } from 'pinyin-pro'

/**
 * The pinyin initials of a party's name, lower case, as an inspector types them to find it (广州市某某商行 →
 * "gzsmmsh"): the first letter of each Chinese character's reading (in context, so 商行 is shang-hang), and
 * letters and digits as they are; spaces and punctuation are left out. Computed on the server once, when the
 * party is recorded, and kept beside its name (parties.initials), so the phone needs no pinyin dictionary.
 */
export function pinyinInitials(name: string): string {
  const parts = pinyin(name, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'consecutive' })
  return parts
    .join('')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}
