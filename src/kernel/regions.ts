/**
 * Where an account or a campaign belongs: the province as a whole, or one of Guangdong's 21 prefecture-level
 * cities. A supervisor's scope is their department in their region; a provincial one sees the whole department.
 * The ids are stored in the database and never change; the names are shown through the locales
 * (`region.<id>`), the Chinese ones here for the server's own texts. No validation library here: the phone's
 * first screen imports these.
 */

export const PROVINCE = 'province'

/** The province, then the cities in the order of the province's own lists. */
export const REGIONS = [
  { id: PROVINCE, name: '广东省' },
  { id: 'guangzhou', name: '广州市' },
  { id: 'shenzhen', name: '深圳市' },
  { id: 'zhuhai', name: '珠海市' },
  { id: 'shantou', name: '汕头市' },
  { id: 'foshan', name: '佛山市' },
  { id: 'shaoguan', name: '韶关市' },
  { id: 'heyuan', name: '河源市' },
  { id: 'meizhou', name: '梅州市' },
  { id: 'huizhou', name: '惠州市' },
  { id: 'shanwei', name: '汕尾市' },
  { id: 'dongguan', name: '东莞市' },
  { id: 'zhongshan', name: '中山市' },
  { id: 'jiangmen', name: '江门市' },
  { id: 'yangjiang', name: '阳江市' },
  { id: 'zhanjiang', name: '湛江市' },
  { id: 'maoming', name: '茂名市' },
  { id: 'zhaoqing', name: '肇庆市' },
  { id: 'qingyuan', name: '清远市' },
  { id: 'chaozhou', name: '潮州市' },
  { id: 'jieyang', name: '揭阳市' },
  { id: 'yunfu', name: '云浮市' },
] as const

export type RegionId = (typeof REGIONS)[number]['id']

export const REGION_IDS: readonly RegionId[] = REGIONS.map((r) => r.id)

export const isRegion = (id: unknown): id is RegionId => typeof id === 'string' && REGION_IDS.includes(id as RegionId)

/** Accounts, campaigns and records from before regions, and sessions kept by earlier versions, are provincial. */
export const regionOf = (x: { region?: string | null }): string => x.region ?? PROVINCE

/** Whether someone of region `viewer` may see what belongs to `region`: the province sees every city. */
export const regionCovers = (viewer: string, region: string): boolean => viewer === PROVINCE || viewer === region

/** The regions a user of region `own` may give a campaign: any when provincial, else only their own city. */
export const choosableRegions = (own: string): readonly RegionId[] =>
  own === PROVINCE ? REGION_IDS : REGION_IDS.filter((id) => id === own)
