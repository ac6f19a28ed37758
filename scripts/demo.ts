/**
 * `npm run demo`: fills the server's database (DATABASE_URL, or the SQLite file under DATA_DIR) with a
 * realistic demo so a newcomer can try every view: an admin, supervisors and inspectors of six departments,
 * two campaigns, a few hundred check-ins over the last two weeks (some with photos) and field notes.
 * Everything goes in through the server's own API, checked as a phone's records would be.
 *
 * The demo accounts' password is ZHIXUN_PASSWORD when set, otherwise a random one printed at the end.
 * Refuses to run on a database that already has users, unless they are the demo's own.
 */
import { createHash, randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeRgbPng } from './png'
import type { Campaign } from '../src/kernel/campaign-schema'
import { type CheckIn, type FieldNote, type Outcome, type VenueType } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'
import { buildServer, readBuiltDataset } from '../server/app'
import { createUser } from '../server/auth/accounts'
import { databaseFromEnv, openStoreFromEnv } from '../server/db/database'
import type { UserRole } from '../src/kernel/users'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// `npm run demo` has just built public/data/dataset.json; the server below serves public/ as its built app.
const dataset = readBuiltDataset(resolve(root, 'public'))
const departments = new Set(dataset.departments.map((d) => d.name))
const password = process.env.ZHIXUN_PASSWORD || randomBytes(9).toString('base64url')

const databaseUrl = databaseFromEnv().url
const store = await openStoreFromEnv()
const app = await buildServer({ distDir: resolve(root, 'public'), store })

/** A fixed sequence of pseudo-random numbers: the same demo every time. */
let seed = 20161017
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!

interface DemoUser {
  username: string
  name: string
  department: string
  role: UserRole
}
const ipo = '省知识产权局'
const aic = '省工商局'
const copyright = '省新闻出版广电局（版权局）'
const customs = '海关总署广东分署'
const police = '省公安厅'
const fda = '省食品药品监督管理局'
const USERS: DemoUser[] = [
  { username: 'demo.admin', name: '周管理', department: ipo, role: 'admin' },
  { username: 'demo.sup.ipo', name: '李主管', department: ipo, role: 'supervisor' },
  { username: 'demo.sup.aic', name: '黄主管', department: aic, role: 'supervisor' },
  { username: 'demo.sup.fda', name: '何主管', department: fda, role: 'supervisor' },
  { username: 'demo.ipo.1', name: '陈立新', department: ipo, role: 'inspector' },
  { username: 'demo.ipo.2', name: '林晓燕', department: ipo, role: 'inspector' },
  { username: 'demo.ipo.3', name: '郑国强', department: ipo, role: 'inspector' },
  { username: 'demo.aic.1', name: '张伟', department: aic, role: 'inspector' },
  { username: 'demo.aic.2', name: '吴敏', department: aic, role: 'inspector' },
  { username: 'demo.aic.3', name: '刘洋', department: aic, role: 'inspector' },
  { username: 'demo.copyright.1', name: '梁静', department: copyright, role: 'inspector' },
  { username: 'demo.customs.1', name: '罗海', department: customs, role: 'inspector' },
  { username: 'demo.customs.2', name: '许港生', department: customs, role: 'inspector' },
  { username: 'demo.police.1', name: '邓志勇', department: police, role: 'inspector' },
  { username: 'demo.fda.1', name: '冯丽', department: fda, role: 'inspector' },
  { username: 'demo.fda.2', name: '蔡明', department: fda, role: 'inspector' },
]

const existing = await store.db.selectFrom('users').select('username').execute()
if (existing.some((u) => u.username === 'demo.admin')) {
  console.log('The demo is already in this database (user demo.admin exists); nothing added.')
  await app.close()
  await store.close()
  process.exit(0)
}
if (existing.length > 0) {
  console.error(
    `This database already has ${existing.length} users; the demo only fills an empty one. Set DATA_DIR or DATABASE_URL to another.`,
  )
  await app.close()
  await store.close()
  process.exit(1)
}

const cookies = new Map<string, string>()
const ids = new Map<string, string>()
for (const [i, u] of USERS.entries()) {
  // Inspectors and supervisors hold enforcement certificates; 蔡明's ran out, so one shows as expired.
  const certified = u.role !== 'admin'
  const created = await createUser(store.db, departments, {
    username: u.username,
    displayName: u.name,
    department: u.department,
    role: u.role,
    password,
    certificateNumber: certified ? `4401${String(2026_0000 + i)}` : null,
    certificateExpiry: certified ? (u.username === 'demo.fda.2' ? '2025-06-30' : '2028-12-31') : null,
  })
  ids.set(u.username, created.id)
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password } })
  if (res.statusCode !== 200) throw new Error(`sign-in of ${u.username} failed: ${res.body}`)
  cookies.set(u.username, String(res.headers['set-cookie']).split(';')[0]!)
}

async function api<T>(
  as: string,
  method: 'POST' | 'PATCH',
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await app.inject({
    method,
    url,
    payload: payload as string,
    headers: { cookie: cookies.get(as)!, ...headers },
  })
  if (res.statusCode >= 300) throw new Error(`${method} ${url} as ${as}: ${res.statusCode} ${res.body}`)
  return res.json() as T
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
const inspectorsOf = (...depts: string[]) =>
  USERS.filter((u) => u.role === 'inspector' && depts.includes(u.department)).map((u) => u.username)

const fair = (
  await api<{ campaign: Campaign }>('demo.sup.ipo', 'POST', '/api/campaigns', {
    name: '广交会知识产权保护专项行动',
    description: '第 120 届广交会期间，对参展企业和展品开展知识产权巡查，现场受理投诉，疑似侵权展品依法处理。',
    taskNumbers: [28, 33],
    departments: [ipo, aic, copyright],
    inspectorIds: inspectorsOf(ipo, aic, copyright).map((u) => ids.get(u)!),
    startDate: day(-14),
    endDate: day(7),
    venues: ['广交会展馆 A 区', '广交会展馆 B 区', '广交会展馆 C 区', '琶洲会展中心周边商铺'],
  })
).campaign
const qingyuan = (
  await api<{ campaign: Campaign }>('demo.sup.fda', 'POST', '/api/campaigns', {
    name: '“清源行动”食品药品专项整治',
    description: '联合公安、海关严打食品药品领域侵权假冒违法犯罪，重点检查批发市场和口岸。',
    taskNumbers: [37],
    departments: [fda, police, customs],
    inspectorIds: inspectorsOf(fda, police, customs).map((u) => ids.get(u)!),
    startDate: day(-10),
    endDate: day(20),
    venues: ['清平医药中心市场', '黄埔海关查验场', '江南果菜批发市场'],
  })
).campaign

/** A small solid-colour PNG, a stand-in for a photo. */
function png(r: number, g: number, b: number): Buffer {
  const w = 64
  const h = 48
  const raw = Buffer.alloc((w * 3 + 1) * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3)
  return encodeRgbPng(w, h, raw)
}

async function uploadPhoto(as: string, bytes: Buffer) {
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  await api(as, 'POST', '/api/photos', { sha256, size: bytes.length, type: 'image/png' })
  await api(as, 'PATCH', `/api/photos/${sha256}`, bytes, {
    'content-type': 'application/offset+octet-stream',
    'upload-offset': '0',
  })
  return { sha256, size: bytes.length, type: 'image/png' as const }
}

const PLACES: Record<string, { name: string; type: VenueType; lat: number; lng: number }[]> = {
  fair: [
    { name: '广交会展馆 A 区', type: 'trade_fair', lat: 23.1066, lng: 113.3614 },
    { name: '广交会展馆 B 区', type: 'trade_fair', lat: 23.1032, lng: 113.3655 },
    { name: '广交会展馆 C 区', type: 'trade_fair', lat: 23.0998, lng: 113.3702 },
    { name: '琶洲会展中心周边商铺', type: 'market', lat: 23.1012, lng: 113.3558 },
  ],
  qingyuan: [
    { name: '清平医药中心市场', type: 'market', lat: 23.1171, lng: 113.2445 },
    { name: '黄埔海关查验场', type: 'port', lat: 23.0889, lng: 113.4927 },
    { name: '江南果菜批发市场', type: 'market', lat: 23.1693, lng: 113.2431 },
    { name: '某医药电商平台店铺', type: 'online', lat: 23.1291, lng: 113.2644 },
  ],
  other: [
    { name: '一德路商业街', type: 'market', lat: 23.1195, lng: 113.2643 },
    { name: '白云皮具城', type: 'market', lat: 23.1638, lng: 113.2591 },
    { name: '南沙港区查验点', type: 'port', lat: 22.7545, lng: 113.6058 },
    { name: '天河电脑城', type: 'market', lat: 23.1365, lng: 113.327 },
    { name: '某电子制造企业', type: 'enterprise', lat: 22.9841, lng: 113.3897 },
  ],
}
const NOTES: Record<Outcome, string[]> = {
  no_problem: ['抽查展位未发现问题。', '商户证照齐全，未发现侵权商品。', '复查上次问题商户，已整改。'],
  suspected: [
    '发现疑似仿冒注册商标的商品，已拍照取证。',
    '展品外观与他人外观设计专利近似，已通知权利人确认。',
    '标签信息不全，疑似假冒，已封存待查。',
  ],
  case_opened: ['证据确凿，已立案调查。', '当场查扣侵权商品，已立案。'],
  referred: ['涉嫌犯罪，已移送公安机关。', '涉及进出口环节，已移交海关处理。'],
}

const weights: Outcome[] = [
  'no_problem',
  'no_problem',
  'no_problem',
  'no_problem',
  'suspected',
  'suspected',
  'case_opened',
  'referred',
]
const tasksFor = (department: string) =>
  dataset.tasks.filter((t) => t.departments.some((d) => d.name === department)).map((t) => t.number)

let checkIns = 0
let notes = 0
let photos = 0
for (const u of USERS.filter((x) => x.role === 'inspector')) {
  const inFair = fair.inspectorIds.includes(ids.get(u.username)!)
  const inQingyuan = qingyuan.inspectorIds.includes(ids.get(u.username)!)
  const own = tasksFor(u.department)
  const records: CheckIn[] = []
  const total = 18 + Math.floor(rand() * 14)
  for (let i = 0; i < total; i++) {
    const r = rand()
    const campaign = inFair && r < 0.6 ? fair : inQingyuan && r < 0.65 ? qingyuan : null
    const place = pick(PLACES[campaign === fair ? 'fair' : campaign === qingyuan ? 'qingyuan' : 'other']!)
    const outcome = pick(weights)
    const when = new Date(Date.now() - Math.floor(rand() * 14) * 86_400_000)
    when.setUTCHours(1 + Math.floor(rand() * 9), Math.floor(rand() * 60), 0, 0)
    const withPhoto = outcome !== 'no_problem' && rand() < 0.4
    records.push({
      id: uuidv7(when.getTime()),
      authorId: ids.get(u.username)!,
      venueName: place.name,
      venueType: place.type,
      occurredAt: when.toISOString(),
      location:
        rand() < 0.85
          ? {
              lat: place.lat + (rand() - 0.5) * 0.002,
              lng: place.lng + (rand() - 0.5) * 0.002,
              accuracy: Math.round(5 + rand() * 40),
            }
          : null,
      outcome,
      premisesInspected: 1 + Math.floor(rand() * 20),
      itemsSeized: outcome === 'no_problem' ? 0 : Math.floor(rand() * 50),
      note: pick(NOTES[outcome]),
      taskNumbers: campaign ? [pick(campaign.taskNumbers)] : own.length ? [pick(own)] : [1],
      campaignId: campaign?.id ?? null,
      photos: withPhoto
        ? [
            await uploadPhoto(
              u.username,
              png(Math.floor(rand() * 200), Math.floor(rand() * 200), Math.floor(rand() * 200)),
            ),
          ]
        : [],
      correctionOf: null,
      createdAt: when.toISOString(),
    })
    if (withPhoto) photos++
  }
  const fieldNotes: FieldNote[] = own.slice(0, 2).map((taskNumber) => {
    const at = new Date(Date.now() - Math.floor(rand() * 10) * 86_400_000).toISOString()
    return {
      id: uuidv7(),
      authorId: ids.get(u.username)!,
      taskNumber,
      text: `${u.name}：本周就任务 ${taskNumber} 与相关单位沟通，已约定下周联合检查。`,
      createdAt: at,
      updatedAt: at,
    }
  })
  const mutations = [
    ...records.map((args) => ({ name: 'checkin.create', args })),
    ...fieldNotes.map((note) => ({ name: 'note.put', args: { note, baseVersion: null } })),
  ].map((m, i) => ({ seq: i + 1, ...m }))
  const res = await api<{ results: { status: string; reason?: string }[] }>(u.username, 'POST', '/api/sync/push', {
    clientId: `demo-phone-${u.username.replace(/\./g, '-')}`,
    mutations,
  })
  const refused = res.results.filter((x) => x.status !== 'applied')
  if (refused.length) throw new Error(`${u.username}: ${refused.length} records refused: ${refused[0]!.reason}`)
  checkIns += records.length
  notes += fieldNotes.length
}

await app.close()
await store.close()
console.log(`Demo loaded into ${databaseUrl.startsWith('postgres') ? 'PostgreSQL' : databaseUrl}:`)
console.log(
  `  ${USERS.length} accounts, 2 campaigns, ${checkIns} check-ins (${photos} with a photo), ${notes} field notes.`,
)
console.log(`  Sign in with any of these usernames and the password ${password}`)
for (const u of USERS) console.log(`    ${u.username.padEnd(18)} ${u.role.padEnd(10)} ${u.name} · ${u.department}`)
