/**
 * `npm run demo`: fills the server's database (DATABASE_URL, or the SQLite file under DATA_DIR) with a
 * realistic demo so a newcomer can try every view: an admin, supervisors and inspectors of six departments,
 * two campaigns, a few hundred check-ins over the last two weeks (some with photos) and field notes, a register
 * of inspected parties visited more than once, signed on-site inspection records (现场检查笔录) with drawn
 * signatures, and supervisors' reviews. Each inspector's records come from a phone of their own: chained and
 * signed with that phone's key, as the app does. Everything goes in through the server's own API, checked as a
 * phone's records would be.
 *
 * The demo accounts' password is ZHIXUN_PASSWORD when set, otherwise a random one printed at the end.
 * Refuses to run on a database that already has users, unless they are the demo's own.
 */
import { createHash, randomBytes } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeRgbPng } from './png'
import type { Campaign } from '../src/kernel/campaign-schema'
import { recordHash } from '../src/kernel/canonical'
import { creditCodeCheckChar } from '../src/kernel/credit-code'
import type { Party } from '../src/kernel/party'
import { generateSigningKey, recordSigningText, signText, type SignedKind } from '../src/kernel/signature'
import {
  type ChainLink,
  type CheckIn,
  type FieldNote,
  type Inspection,
  type InspectorRef,
  type Outcome,
  type VenueType,
} from '../src/kernel/sync-schema'
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
const certificates = new Map<string, string | null>()
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
  certificates.set(u.username, certified ? `4401${String(2026_0000 + i)}` : null)
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
    requireTwoCertified: true,
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

/** A made-up but well-formed 统一社会信用代码: 9 (enterprise) 1 (company), Guangzhou's division, and a check character. */
function creditCode(n: number): string {
  const first17 = `91440101${String(70_000_000 + n * 7919).padStart(8, '0')}${'0123456789ABCDEFGHJKLMNPQRTUWXY'[n % 31]}`
  return first17 + creditCodeCheckChar(first17)!
}
const PARTIES = [
  { name: '广州市恒达皮具有限公司', person: '陈建华', role: '法定代表人', code: true },
  { name: '佛山市顺德区美家电器厂', person: '梁秀英', role: '厂长', code: true },
  { name: '深圳市华讯数码科技有限公司', person: '王小龙', role: '展位负责人', code: true },
  { name: '东莞市雅丽服饰有限公司', person: '何丽萍', role: '销售经理', code: true },
  { name: '汕头市玩具城宏兴玩具商行', person: '蔡志明', role: '经营者', code: true },
  { name: '一德路 128 号档口（无照）', person: '李阿姨', role: '摊主', code: false },
  { name: '琶洲地铁口流动摊位', person: '黄先生', role: '摊主', code: false },
]

/** A drawn-looking signature: a dark stroke on white, different for each signer. */
function signatureImage(seedText: string): Buffer {
  const w = 240
  const h = 80
  let k = 7
  for (const ch of seedText) k = (k * 31 + ch.charCodeAt(0)) >>> 0
  const raw = Buffer.alloc((w * 3 + 1) * h, 255)
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0
  for (let x = 12; x < w - 12; x++) {
    const y0 = Math.round(40 + 18 * Math.sin(x / (9 + (k % 7))) * Math.cos(x / (23 + (k % 11))))
    for (let dy = -1; dy <= 1; dy++) raw.set([20, 24, 60], (y0 + dy) * (w * 3 + 1) + 1 + x * 3)
  }
  return encodeRgbPng(w, h, raw)
}

/**
 * One inspector's phone: a client id, a signing key registered with the server as the app registers its own, and
 * the chain of records it has made (each names the one before by its hash).
 */
interface DemoPhone {
  clientId: string
  sign(kind: SignedKind, data: unknown): Promise<{ keyId: string; value: string }>
  link(): ChainLink
  made(data: unknown): Promise<void>
}
async function phoneOf(username: string): Promise<DemoPhone> {
  const clientId = `demo-phone-${username.replace(/\./g, '-')}`
  const key = await generateSigningKey()
  await api(username, 'POST', '/api/keys', { clientId, publicKey: key.publicKey })
  let seq = 0
  let head: string | null = null
  return {
    clientId,
    async sign(kind, data) {
      return {
        keyId: key.keyId,
        value: await signText(key.privateKey, recordSigningText(kind, await recordHash(data))),
      }
    },
    link: () => ({ clientId, seq: seq + 1, prev: head }),
    async made(data) {
      seq += 1
      head = await recordHash(data)
    },
  }
}

const ref = (username: string): InspectorRef => ({
  userId: ids.get(username)!,
  name: USERS.find((x) => x.username === username)!.name,
  certificateNumber: certificates.get(username) ?? null,
})

// The register: parties met at the fair and in the markets, filed under the fair campaign, each visited again and again.
const parties: Party[] = []
for (const [i, p] of PARTIES.entries()) {
  const created = await api<{ party: Party }>('demo.ipo.1', 'POST', '/api/parties', {
    id: uuidv7(Date.now() - (PARTIES.length - i) * 60_000),
    name: p.name,
    creditCode: p.code ? creditCode(i + 1) : null,
    address: p.code ? `广州市海珠区阅江中路 ${380 + i * 2} 号` : '广州市越秀区一德路',
    personPresent: p.person,
    personRole: p.role,
    phone: `1380020${String(1000 + i * 37)}`,
    campaignId: fair.id,
  })
  parties.push(created.party)
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
let inspections = 0
const reviewable: { id: string; author: string }[] = []
for (const u of USERS.filter((x) => x.role === 'inspector')) {
  const phone = await phoneOf(u.username)
  // A colleague of the same department, certificate and all, goes along on campaign inspections.
  const colleague = USERS.find((x) => x.role === 'inspector' && x.department === u.department && x !== u)
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
            {
              ...(await uploadPhoto(
                u.username,
                png(Math.floor(rand() * 200), Math.floor(rand() * 200), Math.floor(rand() * 200)),
              )),
              source: 'camera' as const,
            },
          ]
        : [],
      correctionOf: null,
      createdAt: when.toISOString(),
      ...(campaign === fair
        ? {
            // The fair's parties, three of them met again and again: a repeat infringer shows on their page.
            partyId: parties[Math.floor(rand() * rand() * parties.length)]!.id,
            coInspectors: colleague ? [ref(colleague.username)] : [],
          }
        : {}),
    })
    if (withPhoto) photos++
  }
  // Signed on-site inspection records for the fair's findings: both inspectors and the party sign, or the party
  // refuses and a witness signs.
  const inspectionRecords: Inspection[] = []
  for (const c of records.filter((r) => r.campaignId === fair.id && r.outcome !== 'no_problem' && r.partyId)) {
    if (inspectionRecords.length >= 2 || !colleague) break
    const party = parties.find((p) => p.id === c.partyId)!
    const started = new Date(c.occurredAt)
    const ended = new Date(started.getTime() + 25 * 60_000).toISOString()
    const refuses = inspectionRecords.length === 1 && rand() < 0.5
    const signer = async (role: 'inspector' | 'party' | 'witness', name: string, userId: string | null) => {
      const photo = await uploadPhoto(u.username, signatureImage(`${c.id}${name}`))
      return { role, name, userId, sha256: photo.sha256, size: photo.size, type: 'image/png' as const, signedAt: ended }
    }
    inspectionRecords.push({
      id: uuidv7(Date.parse(ended)),
      authorId: ids.get(u.username)!,
      checkInId: c.id,
      campaignId: c.campaignId,
      startedAt: c.occurredAt,
      endedAt: ended,
      place: c.venueName,
      party: {
        id: party.id,
        name: party.name,
        creditCode: party.creditCode,
        address: party.address,
        personPresent: party.personPresent,
        personRole: party.personRole,
        phone: party.phone,
      },
      inspectors: [ref(u.username), ref(colleague.username)],
      recorder: ref(u.username),
      findings: `${c.note}现场检查展位 ${c.premisesInspected} 个，当事人${party.personPresent}在场。`,
      items: c.itemsSeized > 0 ? [{ name: '疑似侵权商品', count: c.itemsSeized }] : [],
      photos: c.photos,
      signatures: [
        await signer('inspector', u.name, ids.get(u.username)!),
        await signer('inspector', colleague.name, ids.get(colleague.username)!),
        refuses ? await signer('witness', '展馆保安 赵强', null) : await signer('party', party.personPresent, null),
      ],
      refusal: refuses ? { reason: '当事人称需请示公司后再签字', witnessName: '展馆保安 赵强' } : null,
      correctionOf: null,
      signedAt: ended,
      createdAt: ended,
    })
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
  // In the order the phone made them, each chained to the one before and signed.
  const made: { name: string; kind: SignedKind; args: unknown; record: Record<string, unknown> }[] = [
    ...records.map((r) => ({ name: 'checkin.create', kind: 'checkin' as const, record: r, args: r })),
    ...inspectionRecords.map((r) => ({ name: 'inspection.create', kind: 'inspection' as const, record: r, args: r })),
    ...fieldNotes.map((note) => ({
      name: 'note.put',
      kind: 'note' as const,
      record: note,
      args: { note, baseVersion: null },
    })),
  ]
  const mutations = []
  for (const [i, m] of made.entries()) {
    m.record.chain = phone.link()
    await phone.made(m.record)
    mutations.push({ seq: i + 1, name: m.name, args: m.args, signature: await phone.sign(m.kind, m.record) })
  }
  const res = await api<{ results: { status: string; reason?: string }[] }>(u.username, 'POST', '/api/sync/push', {
    clientId: phone.clientId,
    clientTime: new Date().toISOString(),
    mutations,
  })
  const refused = res.results.filter((x) => x.status !== 'applied')
  if (refused.length) throw new Error(`${u.username}: ${refused.length} records refused: ${refused[0]!.reason}`)
  checkIns += records.length
  notes += fieldNotes.length
  inspections += inspectionRecords.length
  for (const r of inspectionRecords) reviewable.push({ id: r.checkInId, author: u.username })
}

// The IP office's supervisor has gone through some of the fair's inspections: one returned for a correction.
const supervisorOf: Record<string, string> = { [ipo]: 'demo.sup.ipo', [aic]: 'demo.sup.aic', [fda]: 'demo.sup.fda' }
let reviews = 0
for (const [i, r] of reviewable.entries()) {
  const reviewer = supervisorOf[USERS.find((x) => x.username === r.author)!.department]
  if (!reviewer || i % 2 === 1) continue
  const returned = reviews === 1
  await api(reviewer, 'POST', `/api/checkins/${r.id}/review`, {
    action: returned ? 'returned' : 'reviewed',
    comment: returned ? '笔录未写明扣押物品的品名和规格，请补充后更正。' : '',
  })
  reviews++
}

await app.close()
await store.close()
console.log(`Demo loaded into ${databaseUrl.startsWith('postgres') ? 'PostgreSQL' : databaseUrl}:`)
console.log(
  `  ${USERS.length} accounts, 2 campaigns, ${checkIns} check-ins (${photos} with a photo), ${notes} field notes,`,
)
console.log(
  `  ${parties.length} parties, ${inspections} signed inspection records (现场检查笔录), ${reviews} supervisor reviews.`,
)
console.log(`  Sign in with any of these usernames and the password ${password}`)
for (const u of USERS) console.log(`    ${u.username.padEnd(18)} ${u.role.padEnd(10)} ${u.name} · ${u.department}`)
