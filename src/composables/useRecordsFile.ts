import { db } from '@/db/db'
import { lastQueuedSeq } from '@/db/outbox'
import { markExported } from '@/db/session'
import { exportRecords, type RecordsExport } from '@/records/export'
import type { ImportResult } from '@/records/import'

/** The inspector's records as a file: one to keep or hand on, and one from another phone taken in. */
export function useRecordsFile() {
  /** The file's content, and the outbox key it covers: whatever is queued now is in it, anything later is not. */
  async function exportNow(now: Date): Promise<{ data: RecordsExport; throughSeq: number }> {
    const throughSeq = await lastQueuedSeq(db)
    return { data: await exportRecords(db, now), throughSeq }
  }
  /** Once the file is saved: what it covers no longer holds the phone. */
  const exported = (throughSeq: number, at: number): Promise<void> => markExported(db, throughSeq, at)
  /**
   * Queues the file's unsent records here. Throws ImportError when the file cannot be taken in: changed
   * since it was exported, or signed with a key the server says is not this inspector's.
   */
  async function importFile(text: string, authorId: string): Promise<ImportResult> {
    // The import code (and its schema library) loads only when someone imports a file.
    const [{ importRecords }, { confirmKey }] = await Promise.all([import('@/records/import'), import('@/api/keys')])
    return importRecords(db, text, authorId, { confirmKey: (keyId) => confirmKey(keyId) })
  }
  return { exportNow, exported, importFile }
}
