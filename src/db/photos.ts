import type { LocalPhoto, ZhixunDB } from './db'

/** The phone's copies of these photos, in their order (undefined where the phone has none), in one read. */
export function getPhotos(db: ZhixunDB, sha256s: readonly string[]): Promise<(LocalPhoto | undefined)[]> {
  return db.photos.bulkGet([...sha256s])
}
