/**
 * The source's collective names (各地, 各有关单位, 各有关部门, 各级知识产权相关职能部门…) are in the dataset's
 * departments but are no one's department and lead no campaign: a new account or campaign is refused them; an
 * account or campaign stored with one before still loads and may be saved keeping it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Campaign } from '../../src/kernel/campaign-schema'
import type { Account } from '../../src/kernel/users'
import { describeStores, makeServer, signedIn, TEST_PASSWORD, type TestServer } from '../helpers/server'

const COLLECTIVE = ['各地', '各有关单位', '各有关部门', '各级知识产权相关职能部门']

const campaignBody = (extra: Record<string, unknown> = {}) => ({
  name: '展会知识产权保护专项',
  description: '',
  taskNumbers: [28],
  departments: ['省知识产权局'],
  inspectorIds: [],
  startDate: '2026-11-01',
  endDate: '2026-11-30',
  venues: [],
  ...extra,
})

describeStores('collective department names, on %s', (kind) => {
  let s: TestServer
  let admin: { cookie: string }
  let supervisor: { cookie: string }
  let userNo = 0

  beforeAll(async () => {
    s = await makeServer(kind)
    admin = await signedIn(s, 'admin')
    supervisor = await signedIn(s, 'supervisor')
  })
  afterAll(() => s.close())

  const req = (who: { cookie: string }, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    s.app.inject({ method, url, headers: { cookie: who.cookie }, ...(payload ? { payload } : {}) })
  const newAccount = (department: string) =>
    req(admin, 'POST', '/api/users', {
      username: `collective.${++userNo}`,
      displayName: '测试',
      department,
      role: 'inspector',
      password: TEST_PASSWORD,
    })

  it('refuses a new account of a collective name, and takes a real department', async () => {
    for (const department of COLLECTIVE) {
      const res = await newAccount(department)
      expect(res.statusCode, department).toBe(400)
      expect(res.json().error).toBe('unknown_department')
    }
    expect((await newAccount('省公安厅')).statusCode).toBe(201)
  })

  it('refuses moving an account to a collective name; one stored with it keeps it through a change', async () => {
    const created = (await newAccount('省工商局')).json().user as Account
    const moved = await req(admin, 'PATCH', `/api/users/${created.id}`, { department: '各有关部门' })
    expect(moved.statusCode).toBe(400)
    expect(moved.json().error).toBe('unknown_department')

    // Stored before the rule: it still lists, and a change of role sending the same department is taken.
    await s.store.db.updateTable('users').set({ department: '各地' }).where('id', '=', created.id).execute()
    const listed = (await req(admin, 'GET', '/api/users')).json().users as Account[]
    expect(listed.find((a) => a.id === created.id)?.department).toBe('各地')
    const kept = await req(admin, 'PATCH', `/api/users/${created.id}`, { role: 'supervisor', department: '各地' })
    expect(kept.statusCode, kept.body).toBe(200)
    // …and moving on to a real department is too.
    expect((await req(admin, 'PATCH', `/api/users/${created.id}`, { department: '省农业厅' })).statusCode).toBe(200)
  })

  it('refuses a new campaign led by or including a collective name', async () => {
    for (const department of COLLECTIVE) {
      const taking = await req(supervisor, 'POST', '/api/campaigns', {
        ...campaignBody({ departments: ['省知识产权局', department] }),
      })
      expect(taking.statusCode, department).toBe(400)
      expect(taking.json().error).toBe('unknown_department')
      const led = await req(admin, 'POST', '/api/campaigns', campaignBody({ ownerDepartment: department }))
      expect(led.statusCode, department).toBe(400)
      expect(led.json().error).toBe('unknown_department')
    }
    const fine = await req(
      supervisor,
      'POST',
      '/api/campaigns',
      campaignBody({ departments: ['省知识产权局', '省公安厅'] }),
    )
    expect(fine.statusCode, fine.body).toBe(201)
  })

  it('loads a campaign stored with a collective name and saves it keeping the name, adding no other', async () => {
    const created = (await req(supervisor, 'POST', '/api/campaigns', campaignBody())).json().campaign as Campaign
    const row = await s.store.db
      .selectFrom('campaigns')
      .select('data')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    const data = { ...JSON.parse(row.data), departments: ['省知识产权局', '各有关单位'] }
    await s.store.db
      .updateTable('campaigns')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', created.id)
      .execute()

    const loaded = (await req(supervisor, 'GET', `/api/campaigns/${created.id}`)).json().campaign as Campaign
    expect(loaded.departments).toEqual(['省知识产权局', '各有关单位'])
    const kept = await req(supervisor, 'PUT', `/api/campaigns/${created.id}`, {
      ...campaignBody({ departments: ['省知识产权局', '各有关单位'], name: '改名' }),
      version: loaded.version,
    })
    expect(kept.statusCode, kept.body).toBe(200)
    expect((kept.json().campaign as Campaign).departments).toEqual(['省知识产权局', '各有关单位'])
    const added = await req(supervisor, 'PUT', `/api/campaigns/${created.id}`, {
      ...campaignBody({ departments: ['省知识产权局', '各有关单位', '各地'] }),
    })
    expect(added.statusCode).toBe(400)
    expect(added.json().error).toBe('unknown_department')
  })
})
