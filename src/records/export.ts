import type { RecordState, ZhixunDB } from '@/db/db'
import type { CheckIn, FieldNote, PhotoRef } from '@/kernel/sync-schema'

export const EXPORT_FORMAT = 'zhixun-records'

/** Everything this phone recorded, with photos, in one self-contained JSON file. */
export interface RecordsExport {
  format: typeof EXPORT_FORMAT
  formatVersion: 1
  exportedAt: string
  clientId: string | null
  checkIns: (CheckIn & { state: RecordState; reason?: string })[]
  notes: (FieldNote & { state: RecordState; reason?: string; deleted: boolean; conflictOf?: string | null })[]
  photos: (PhotoRef & { base64: string })[]
}

function base64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes)
  let binary = ''
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000))
  return btoa(binary)
}

/**
 * The inspector's own records and their photos, read in one transaction: a copy to keep or hand on
 * before anything could take the phone's copy away (a cleared browser, a shared phone changing hands).
 */
export async function exportRecords(db: ZhixunDB, now = new Date()): Promise<RecordsExport> {
  return db.transaction('r', [db.checkins, db.notes, db.photos, db.syncMeta], async () => {
    const [checkIns, notes, meta] = await Promise.all([
      db.checkins.filter((c) => c.origin === 'mine').toArray(),
      db.notes.filter((n) => n.origin === 'mine').toArray(),
      db.syncMeta.get('sync'),
    ])
    const shas = [...new Set(checkIns.flatMap((c) => c.data.photos.map((p) => p.sha256)))]
    const photos = (await db.photos.bulkGet(shas)).flatMap((p) =>
      p ? [{ sha256: p.sha256, size: p.size, type: p.type, base64: base64(p.bytes) }] : [],
    )
    return {
      format: EXPORT_FORMAT,
      formatVersion: 1,
      exportedAt: now.toISOString(),
      clientId: meta?.clientId ?? null,
      checkIns: checkIns.map((c) => ({ ...c.data, state: c.state, ...(c.reason ? { reason: c.reason } : {}) })),
      notes: notes.map((n) => ({
        ...n.data,
        state: n.state,
        deleted: n.deleted === 1,
        ...(n.reason ? { reason: n.reason } : {}),
      })),
      photos,
    }
  })
}

export function exportFileName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `zhixun-records-${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}.json`
}
