import type { LocalPhoto, ZhixunDB } from './db'

export async function getPhoto(db: ZhixunDB, sha256: string): Promise<LocalPhoto | undefined> {
  return db.photos.get(sha256)
}
