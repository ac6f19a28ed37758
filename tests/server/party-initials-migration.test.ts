import { afterAll, expect, it } from 'vitest'
import { databaseBefore } from '../helpers/migrated'
import { describeStores, type StoreKind } from '../helpers/server'

/** The parties table as migration 0011 left it, before names' pinyin initials were kept. */
interface Before0012 {
  parties: {
    id: string
    name: string
    credit_code: string | null
    address: string
    person_present: string
    person_role: string
    phone: string
    department: string
    created_by: string
    created_at: string
    updated_at: string
  }
}

describeStores('migration 0012_party_initials, on %s', (kind: StoreKind) => {
  const earlier = databaseBefore(kind, '0012')

  afterAll(async () => {
    await earlier.drop()
  })

  it('gives the parties already stored their initials', async () => {
    const raw = await earlier.migratedTo<Before0012>('0011_party_merge')
    const at = '2026-11-20T00:00:00.000Z'
    const party = (id: string, name: string) => ({
      id,
      name,
      credit_code: null,
      address: '',
      person_present: '',
      person_role: '',
      phone: '',
      department: '省知识产权局',
      created_by: 'someone',
      created_at: at,
      updated_at: at,
    })
    try {
      await raw
        .insertInto('parties')
        .values([party('p-1', '广州市某某商行'), party('p-2', '<b>A1</b> 档口')])
        .execute()
    } finally {
      await raw.destroy()
    }
    const store = await earlier.open()
    try {
      const rows = await store.db.selectFrom('parties').select(['id', 'initials']).orderBy('id').execute()
      expect(rows).toEqual([
        { id: 'p-1', initials: 'gzsmmsh' },
        { id: 'p-2', initials: 'ba1bdk' },
      ])
    } finally {
      await store.close()
    }
  })
})
