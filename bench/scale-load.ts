/**
 * The loader of `npm run bench:scale` (bench/scale.ts): a province's records written fast, straight into the
 * database, yet exactly as pushes would have written them. Every check-in is applied by the push's own code
 * (server/sync/apply.ts: the same validation, canonical JSON, hash, versions, certificate judgement, photo
 * ownership check and row shape, one PushWork per inspector's phone); only the writing differs: instead of
 * the push's 100-row INSERTs, the rows it gathered go in a few big statements per group of phones (on
 * PostgreSQL one INSERT … SELECT FROM unnest(…) per table and 5,000 rows; on SQLite prepared inserts in one
 * transaction). The database's own triggers (migration 0013) fill the report columns as they do for a push.
 */
import { createHash } from 'node:crypto'
import SQLite from 'better-sqlite3'
import type { Kysely } from 'kysely'
import pg from 'pg'
import { hashPassword } from '../server/auth/passwords'
import { createUser, sessionUserOf } from '../server/auth/accounts'
import { pushAuditEntries } from '../server/audit/log'
import { nowIso, type Database, type Store, type UsersTable } from '../server/db/database'
import { applyInOrder, PushWork } from '../server/sync/apply'
import { inSequence } from '../server/sync/push-batch'
import { OUTCOMES, VENUE_TYPES, type CheckIn } from '../src/kernel/sync-schema'
import { uuidv7 } from '../src/kernel/uuid'

export const PASSWORD = 'bench-password-long'
export const INSPECTORS = 5000
export const CAMPAIGNS = 100
/** The 21 prefecture-level cities' ids (src/kernel/regions.ts, when there), else their names. */
const CITY_NAMES = [
  'guangzhou',
  'shenzhen',
  'zhuhai',
  'shantou',
  'foshan',
  'shaoguan',
  'heyuan',
  'meizhou',
  'huizhou',
  'shanwei',
  'dongguan',
  'zhongshan',
  'jiangmen',
  'yangjiang',
  'zhanjiang',
  'maoming',
  'zhaoqing',
  'qingyuan',
  'chaozhou',
  'jieyang',
  'yunfu',
]
const PHOTOS_PER_CHECK_IN = 2
const DAY = 86_400_000
/** Two years of field work, ending yesterday. */
const END = Date.now() - DAY
const SPAN = 730 * DAY
/** About how many check-ins are applied together and written in one transaction. */
const GROUP_CHECK_INS = 5000

type Row = Record<string, unknown>
/** A row of any table: an interface of server/db/database.ts, or a plain record. */
type AnyRow = object

/** Big-statement writes into one database, knowing which columns its tables have. */
export interface Bulk {
  columns(table: string): Promise<Map<string, string>>
  insert(table: string, rows: readonly AnyRow[]): Promise<void>
  transaction(fn: () => Promise<void>): Promise<void>
  exec(sqlText: string): Promise<void>
  close(): Promise<void>
}

/** PostgreSQL: one INSERT … SELECT FROM unnest per table and 5,000 rows, each column one array parameter. */
export async function postgresBulk(url: string, schema: string): Promise<Bulk> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` })
  await client.connect()
  const columns = cachedColumns(async (table) => {
    const { rows } = await client.query<{ column_name: string; udt_name: string }>(
      'select column_name, udt_name from information_schema.columns where table_schema = $1 and table_name = $2',
      [schema, table],
    )
    return rows.map((r) => [r.column_name, r.udt_name])
  })
  return {
    columns,
    async insert(table, anyRows) {
      if (anyRows.length === 0) return
      const rows = anyRows as readonly Row[]
      const cols = await columns(table)
      const names = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => cols.has(c))
      for (let i = 0; i < rows.length; i += 5000) {
        const slice = rows.slice(i, i + 5000)
        const params = names.map((c) => slice.map((r) => r[c] ?? null))
        const unnest = names.map((c, n) => `$${n + 1}::${cols.get(c)}[]`).join(', ')
        await client.query(
          `insert into "${table}" (${names.map((c) => `"${c}"`).join(', ')}) select * from unnest(${unnest})`,
          params,
        )
      }
    },
    async transaction(fn) {
      await client.query('begin')
      try {
        await fn()
        await client.query('commit')
      } catch (err) {
        await client.query('rollback')
        throw err
      }
    },
    async exec(sqlText) {
      await client.query(sqlText)
    },
    close: () => client.end(),
  }
}

/** A table's columns (name → type) as `read` lists them, read once per table. */
function cachedColumns(
  read: (table: string) => Promise<[name: string, type: string][]>,
): (table: string) => Promise<Map<string, string>> {
  const known = new Map<string, Map<string, string>>()
  return async (table) => {
    let cols = known.get(table)
    if (!cols) {
      cols = new Map(await read(table))
      known.set(table, cols)
    }
    return cols
  }
}

/** SQLite: prepared inserts, many to a transaction, on a connection of its own to the store's file. */
export function sqliteBulk(file: string): Bulk {
  const db = new SQLite(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 30000')
  const columns = cachedColumns(async (table) => {
    const rows = db.prepare(`pragma table_info("${table}")`).all() as { name: string; type: string }[]
    return rows.map((r) => [r.name, r.type])
  })
  return {
    columns,
    async insert(table, anyRows) {
      if (anyRows.length === 0) return
      const rows = anyRows as readonly Row[]
      const cols = await columns(table)
      const names = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => cols.has(c))
      const stmt = db.prepare(
        `insert into "${table}" (${names.map((c) => `"${c}"`).join(', ')}) values (${names.map(() => '?').join(', ')})`,
      )
      for (const r of rows) stmt.run(names.map((c) => r[c] ?? null))
    },
    async transaction(fn) {
      db.exec('begin')
      try {
        await fn()
        db.exec('commit')
      } catch (err) {
        db.exec('rollback')
        throw err
      }
    },
    async exec(sqlText) {
      db.exec(sqlText)
    },
    close: async () => void db.close(),
  }
}

export interface Loaded {
  checkIns: number
  photoRefs: number
  /** Whether records (and users) have a region column, filled here. */
  regions: boolean
  supervisor: { username: string; department: string }
  admin: { username: string }
  /** The campaign with a tenth of the check-ins, and how many it holds. */
  bigCampaign: { id: string; checkIns: number }
  /** Photos of the big campaign's check-ins, to read back. */
  samplePhotos: string[]
  /** Usernames of the inspectors, who push in the push benchmark. */
  pushers: string[]
  departments: string[]
  taskNumbers: number[]
  /** Seconds each phase took. */
  timings: { users: number; apply: number; photos: number; wait: number; total: number }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

/**
 * Loads `scale` check-ins over 5,000 inspectors, 21 cities, 100 campaigns, every department and two years, two
 * photos each, into a freshly migrated store (`store` for the push's reads, `bulk` for the writes).
 */
export async function load(
  store: Store,
  bulk: Bulk,
  /** A second connection for the photos, so they go in while the records of the phones before are written. */
  photoBulk: Bulk,
  scale: number,
  dataset: {
    departments: string[]
    taskNumbers: number[]
    /** Each task's departments (the dataset's `tasks`, src/kernel): who leads it, is responsible or cooperates. */
    tasks?: readonly { number: number; departments: readonly { name: string }[] }[]
  },
  log: (s: string) => void,
): Promise<Loaded> {
  const t0 = performance.now()
  const { departments, taskNumbers } = dataset
  // A department's tasks: the ones it leads, is responsible for or cooperates on. Real inspectors work on those,
  // so a check-in names its author's department's tasks (any task when the department has none): coverage then
  // counts each task's own departments' inspectors, not nearly every inspector for every task.
  const tasksOf = new Map<string, number[]>()
  for (const t of dataset.tasks ?? [])
    for (const d of new Set(t.departments.map((x) => x.name))) {
      if (!taskNumbers.includes(t.number)) continue
      let list = tasksOf.get(d)
      if (!list) tasksOf.set(d, (list = []))
      list.push(t.number)
    }
  const userCols = await bulk.columns('users')
  const regions = (await bulk.columns('records')).has('region') && userCols.has('region')
  const passwordHash = await hashPassword(PASSWORD)
  const at = nowIso()

  // Inspectors: written directly, with one password hash for all (createUser hashes each, ~50 ms apiece).
  const inspectors: UsersTable[] = Array.from({ length: INSPECTORS }, (_, i) => ({
    id: uuidv7(),
    username: `scale.${i}`,
    display_name: `巡查员${i}`,
    department: departments[i % departments.length]!,
    role: 'inspector',
    password_hash: passwordHash,
    disabled: 0,
    created_at: at,
    certificate_number: null,
    certificate_expiry: null,
    ...(regions ? { region: CITY_NAMES[i % CITY_NAMES.length]! } : {}),
  }))
  await bulk.transaction(() => bulk.insert('users', inspectors))
  const known = new Set(departments)
  const supervisor = { username: 'scale.supervisor', department: departments[0]! }
  await createUser(store.db, known, {
    username: supervisor.username,
    displayName: '省局督导',
    department: supervisor.department,
    role: 'supervisor',
    password: PASSWORD,
  })
  const admin = { username: 'scale.admin' }
  await createUser(store.db, known, {
    username: admin.username,
    displayName: '管理员',
    department: departments[0]!,
    role: 'admin',
    password: PASSWORD,
  })

  // Campaigns: the first province-wide (every department, 1,000 inspectors, a tenth of the check-ins), the others
  // one department's with 50 of its inspectors.
  const byDepartment = departments.map((_, d) => inspectors.filter((_, i) => i % departments.length === d))
  const campaigns = Array.from({ length: CAMPAIGNS }, (_, c) => {
    const owner = c === 0 ? 0 : c % departments.length
    const pool = byDepartment[owner]!
    const members =
      c === 0
        ? inspectors.filter((_, i) => i % 5 === 0)
        : Array.from({ length: 50 }, (_, j) => pool[(c * 7 + j) % pool.length]!)
    return { id: uuidv7(), owner: departments[owner]!, members: [...new Set(members)] }
  })
  await bulk.transaction(async () => {
    await bulk.insert(
      'campaigns',
      campaigns.map((c, n) => ({
        id: c.id,
        name: n === 0 ? '全省知识产权保护专项行动' : `专项行动 ${n}`,
        owner_department: c.owner,
        // The shape server/campaigns/store.ts rowData writes.
        data: JSON.stringify({
          description: '',
          taskNumbers: [...new Set([1 + (n % 160), 28, 64])]
            .filter((t) => taskNumbers.includes(t))
            .sort((a, b) => a - b),
          departments: n === 0 ? departments : [],
          inspectorIds: c.members.map((m) => m.id),
          startDate: new Date(END - SPAN).toISOString().slice(0, 10),
          endDate: new Date(END + 30 * DAY).toISOString().slice(0, 10),
          venues: [],
          requireTwoCertified: false,
        }),
        version: 1,
        created_by: inspectors[0]!.id,
        created_at: at,
        updated_at: at,
      })),
    )
    await bulk.insert(
      'campaign_access',
      campaigns.flatMap((c) => c.members.map((m) => ({ campaign_id: c.id, user_id: m.id }))),
    )
  })
  const tUsers = performance.now()
  log(`users and campaigns: ${((tUsers - t0) / 1000).toFixed(1)} s`)

  // Which inspector makes check-in k, and under which campaign: 1 in 10 the big campaign, 6 in 10 one of the
  // others, 3 in 10 none. Times rise with k (so versions roughly follow time, as pushes do), over two years.
  const byAuthor = new Map<number, number[]>()
  const authorIndex = new Map(inspectors.map((u, i) => [u.id, i]))
  const campaignOfK: (string | null)[] = new Array(scale)
  let bigCount = 0
  for (let k = 0; k < scale; k++) {
    const slot = k % 10
    const round = Math.floor(k / 10)
    let author: UsersTable
    if (slot === 0) {
      const c = campaigns[0]!
      author = c.members[round % c.members.length]!
      campaignOfK[k] = c.id
      bigCount++
    } else if (slot <= 6) {
      const c = campaigns[1 + ((round * 6 + slot - 1) % (CAMPAIGNS - 1))]!
      author = c.members[round % c.members.length]!
      campaignOfK[k] = c.id
    } else {
      author = inspectors[(k * 7) % INSPECTORS]!
      campaignOfK[k] = null
    }
    const a = authorIndex.get(author.id)!
    let list = byAuthor.get(a)
    if (!list) byAuthor.set(a, (list = []))
    list.push(k)
  }
  const pushers = inspectors.map((u) => u.username)
  const sampleSet: string[] = []

  const taskSet = new Set(taskNumbers)
  let version = 0
  let applyMs = 0
  let photoMs = 0
  /** Time the push's code waited for the records of the group before to be written. */
  let waitMs = 0
  let written = 0
  let nextLog = 0
  const authors = [...byAuthor.keys()].sort((a, b) => a - b)
  const phonesPerGroup = Math.max(1, Math.round((GROUP_CHECK_INS * authors.length) / scale))
  // The records of one group are written while the next is applied: the push's code and the database's work
  // (its triggers, its indexes) each have a core.
  let writing: Promise<void> = Promise.resolve()
  for (let g = 0; g < authors.length; g += phonesPerGroup) {
    const group = authors.slice(g, g + phonesPerGroup)
    const ta = performance.now()
    const photos: Row[] = []
    const owners: Row[] = []
    const phones: { user: UsersTable; clientId: string; checkIns: CheckIn[] }[] = []
    for (const a of group) {
      const user = inspectors[a]!
      const checkIns = byAuthor.get(a)!.map((k): CheckIn => {
        const occurred = END - SPAN + Math.floor((k / scale) * SPAN) + ((k * 7919) % 3_600_000)
        const refs = Array.from({ length: PHOTOS_PER_CHECK_IN }, (_, p) => {
          // Tiny bytes of their own, so that each reference is a photo of its own, its hash the real one.
          const bytes = Buffer.from(`zhixun scale photo ${k} ${p}`)
          const sha = sha256(bytes)
          photos.push({ sha256: sha, size: bytes.length, type: 'image/jpeg', bytes, created_at: at })
          owners.push({ user_id: user.id, sha256: sha, created_at: at })
          if (k % 10 === 0 && sampleSet.length < 64 && k % 97 === 0) sampleSet.push(sha)
          return { sha256: sha, size: bytes.length, type: 'image/jpeg' as const, source: 'camera' as const }
        })
        const own = tasksOf.get(user.department) ?? taskNumbers
        const first = own[(k * 13) % own.length]!
        const second = own[(k * 29 + 7) % own.length]!
        return {
          id: uuidv7(),
          authorId: user.id,
          venueName: `${CITY_NAMES[k % CITY_NAMES.length]} 第${k % 997}号档口`,
          venueType: VENUE_TYPES[k % VENUE_TYPES.length]!,
          occurredAt: new Date(occurred).toISOString(),
          location: { lat: 21.5 + (k % 3000) / 1000, lng: 110.5 + (k % 5000) / 1000, accuracy: 5 + (k % 40) },
          outcome: OUTCOMES[(k * 3) % OUTCOMES.length]!,
          premisesInspected: 1 + (k % 6),
          itemsSeized: k % 5,
          note: k % 4 === 0 ? '展位抽查，发现疑似侵权商品，已拍照取证。' : '例行巡查，未见异常。',
          taskNumbers: first === second ? [first] : [first, second],
          campaignId: campaignOfK[k]!,
          photos: refs,
          correctionOf: null,
          createdAt: new Date(occurred).toISOString(),
        }
      })
      phones.push({ user, clientId: `scale-phone-${a}`, checkIns })
    }
    const tw0 = performance.now()
    // The photos were uploaded before the records that name them, as a phone must.
    await photoBulk.transaction(async () => {
      await photoBulk.insert('photos', photos)
      await photoBulk.insert('photo_owners', owners)
    })
    const tw1 = performance.now()
    const records: AnyRow[] = []
    const mutations: AnyRow[] = []
    const recordPhotos: AnyRow[] = []
    const audit: Row[] = []
    const clients: Row[] = []
    for (const phone of phones) {
      const batch = await inSequence(
        phone.checkIns.map((args, i) => ({ seq: i + 1, name: 'checkin.create' as const, args })),
      )
      const user = sessionUserOf(phone.user)
      // What server/sync/push.ts apply() does before and while applying, with this phone's versions.
      const work = new PushWork(store.db as Kysely<Database>, phone.clientId, user, { version, lastSeq: 0 })
      await work.prefetch(batch.flatMap((m) => [m.claims.recordId ?? []].flat()))
      await work.prefetchPhotos(batch.flatMap((m) => m.claims.photos ?? []))
      await work.certificates.prefetchPeople([user.id])
      await work.certificates.prefetchCampaigns(batch.flatMap((m) => m.claims.campaign ?? []))
      await work.prepareChains(batch)
      const results = await applyInOrder(work, taskSet, batch)
      const refused = results.find((r) => r.status !== 'applied')
      if (refused) throw new Error(`the push refused a generated check-in: ${JSON.stringify(refused)}`)
      version = work.lastVersion
      const rows = [...work.records.values()]
      records.push(...rows)
      mutations.push(...work.mutations)
      recordPhotos.push(...work.recordPhotos)
      // The rows server/audit/log.ts appendAudit writes.
      for (const e of pushAuditEntries(rows, user.id, phone.clientId))
        audit.push({
          at,
          actor_id: e.actorId,
          client_id: e.clientId ?? null,
          action: e.action,
          target_kind: e.targetKind,
          target_id: e.targetId,
          detail: JSON.stringify(e.detail ?? {}),
        })
      clients.push({ client_id: phone.clientId, user_id: user.id, last_seq: work.lastSeq, created_at: at })
    }
    const tw2 = performance.now()
    await writing
    const tw3 = performance.now()
    writing = bulk.transaction(async () => {
      await bulk.insert('clients', clients)
      await bulk.insert('records', records)
      await bulk.insert('record_photos', recordPhotos)
      await bulk.insert('mutations', mutations)
      await bulk.insert('audit_log', audit)
    })
    // Not left unhandled while the next group is applied; awaited (and thrown) with it. One connection (SQLite)
    // has one transaction at a time: there the next group waits.
    writing.catch(() => undefined)
    if (photoBulk === bulk) {
      const tw4 = performance.now()
      await writing
      waitMs += performance.now() - tw4
    }
    applyMs += tw0 - ta + (tw2 - tw1)
    photoMs += tw1 - tw0
    waitMs += tw3 - tw2
    written += records.length
    if (written >= nextLog) {
      log(
        `${written.toLocaleString('en')} check-ins (${((performance.now() - t0) / 1000).toFixed(0)} s: applying ${(applyMs / 1000).toFixed(0)} s, photos ${(photoMs / 1000).toFixed(0)} s, waiting for records ${(waitMs / 1000).toFixed(0)} s)`,
      )
      nextLog += Math.max(10_000, Math.round(scale / 10))
    }
  }
  const tw = performance.now()
  await writing
  waitMs += performance.now() - tw
  await bulk.exec(`update counters set value = ${version} where name = 'version'`)
  // The triggers of migration 0013 fire for these big statements as for a push's: every check-in has its columns.
  const unfilled = await store.db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'checkin')
    .where((eb) => eb.or([eb('occurred_at', 'is', null), eb('venue_type', 'is', null), eb('written_by', 'is', null)]))
    .executeTakeFirstOrThrow()
  const tasks = await store.db
    .selectFrom('record_tasks')
    .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
    .executeTakeFirstOrThrow()
  if (Number(unfilled.n) !== 0 || Number(tasks.n) !== written)
    throw new Error(`report columns not filled: ${unfilled.n} check-ins without, ${tasks.n} of ${written} with tasks`)
  log(`report columns and record_tasks filled by the triggers for all ${written.toLocaleString('en')} check-ins`)
  const tEnd = performance.now()
  return {
    checkIns: written,
    photoRefs: written * PHOTOS_PER_CHECK_IN,
    regions,
    supervisor,
    admin,
    bigCampaign: { id: campaigns[0]!.id, checkIns: bigCount },
    samplePhotos: sampleSet,
    pushers,
    departments,
    taskNumbers,
    timings: {
      users: (tUsers - t0) / 1000,
      apply: applyMs / 1000,
      photos: photoMs / 1000,
      wait: waitMs / 1000,
      total: (tEnd - t0) / 1000,
    },
  }
}
