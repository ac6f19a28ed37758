/**
 * `npm run user:add -- --username admin --name "张三" --department 省知识产权局 --role admin`
 * `npm run user:add -- --username wangwu --name "王五" --department 省知识产权局 --role supervisor --region guangzhou`
 * `npm run user:add -- --username lisi --name "李四" --department 省知识产权局 --certificate 44010020001 --certificate-expiry 2027-06-30`
 * Adds a user to the server's database (DATABASE_URL, or the SQLite file under DATA_DIR). The password is
 * read from the ZHIXUN_PASSWORD environment variable, or asked for on the terminal; it is never an argument,
 * so it stays out of the shell history.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import * as v from 'valibot'
import { createUser } from '../server/auth/accounts'
import { openStoreFromEnv } from '../server/db/database'
import { assertDataset } from '../src/kernel/dataset-validate'
import { PROVINCE, REGION_IDS, regionOf } from '../src/kernel/regions'
import { USER_ROLES } from '../src/kernel/users'
import { ApiRefusal } from '../server/http/errors'
import { DATASET_PATH, datasetFromSeed, SEED_PATH } from './build-dataset'

const { values } = parseArgs({
  options: {
    username: { type: 'string' },
    name: { type: 'string' },
    department: { type: 'string' },
    role: { type: 'string', default: 'inspector' },
    /** The province or one of its cities (src/kernel/regions.ts). */
    region: { type: 'string', default: PROVINCE },
    /** The enforcement certificate (执法证) number and its last valid day, YYYY-MM-DD: both or neither. */
    certificate: { type: 'string' },
    'certificate-expiry': { type: 'string' },
  },
})
if (!values.username || !values.name || !values.department) {
  console.error(
    `usage: npm run user:add -- --username NAME --name "DISPLAY NAME" --department DEPARTMENT [--role ${USER_ROLES.join('|')}] [--region ${PROVINCE}|guangzhou|…] [--certificate NUMBER --certificate-expiry YYYY-MM-DD]`,
  )
  process.exit(2)
}
const role = v.safeParse(v.picklist(USER_ROLES), values.role)
if (!role.success) {
  console.error(`not added: --role must be one of ${USER_ROLES.join(', ')}`)
  process.exit(2)
}

let departments: string[]
try {
  departments = assertDataset(JSON.parse(readFileSync(DATASET_PATH, 'utf8'))).departments.map((d) => d.name)
} catch {
  departments = datasetFromSeed(readFileSync(SEED_PATH, 'utf8')).departments.map((d) => d.name)
}

let password = process.env.ZHIXUN_PASSWORD ?? ''
if (!password) {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true })
  password = await rl.question('Password (at least 10 characters): ')
  rl.close()
}

const store = await openStoreFromEnv()
try {
  const user = await createUser(store.db, new Set(departments), {
    username: values.username,
    displayName: values.name,
    department: values.department,
    role: role.output,
    region: values.region,
    password,
    certificateNumber: values.certificate ?? null,
    certificateExpiry: values['certificate-expiry'] ?? null,
  })
  const certificate = values.certificate
    ? `, certificate ${values.certificate.trim()} valid to ${values['certificate-expiry']}`
    : ''
  console.log(
    `added ${user.role} ${user.username} (${user.displayName}, ${user.department}, ${regionOf(user)}${certificate})`,
  )
} catch (err) {
  if (err instanceof ApiRefusal) {
    console.error(`not added: ${err.message}`)
    if (err.code === 'unknown_department') console.error(`departments: ${departments.join('、')}`)
    if (err.code === 'invalid_region') console.error(`regions: ${REGION_IDS.join(', ')}`)
    process.exitCode = 1
  } else throw err
} finally {
  await store.close()
}
