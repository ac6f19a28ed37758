/**
 * Where the bytes of stored photos are kept. Every photo has its row in `photos` (size, type, when, and in
 * `storage` where its bytes are) whatever keeps the bytes:
 *
 * - the database (the default): the bytes in the row itself, as they always were;
 * - a folder (ZHIXUN_PHOTO_DIR), shared by every server on the database: one file per photo, named by its
 *   SHA-256 under two levels of its first hex digits (ab/cd/abcd…), so no folder holds more than a few
 *   hundred thousand files even at tens of millions of photos; the row keeps no bytes.
 *
 * Only whole, hash-checked photos come here: unfinished uploads stay in the database (photo_chunks), so any
 * server can continue one. A photo stored in the database stays there when the server moves to a folder, and
 * is read from its row as before.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ZhixunError } from '../../src/kernel/errors'
import { ApiRefusal } from '../http/errors'

export type PhotoStorageKind = 'database' | 'folder'

/** A stored photo's row, read in the one lookup by primary key that a photo read makes. */
export interface StoredPhotoRow {
  sha256: string
  storage: PhotoStorageKind
  /** The bytes, for a photo stored in the database; empty for one kept elsewhere. */
  bytes: Uint8Array
}

/** Why a stored photo's bytes could not be read: the file is gone, unreadable, changed, or not reachable here. */
export type PhotoProblem = 'missing' | 'unreadable' | 'corrupt' | 'not_configured'

/**
 * A photo whose row says it is stored, but whose bytes cannot be had. A 503: nothing the client sent is wrong,
 * and the photo is not unknown (a 404 would tell a phone it was never uploaded); an operator restores the
 * file (from a backup, or by remounting the shared folder) and the same request then succeeds. The bytes are
 * never served when they do not hash to the photo's name.
 */
export function photoUnavailable(sha256: string, problem: PhotoProblem): ApiRefusal {
  return new ApiRefusal(503, 'photo_unavailable', `The stored bytes of this photo cannot be read (${problem})`, {
    sha256,
    problem,
  })
}

/**
 * The folder could not be written (full, read-only, a mount gone): like the database being out of reach, a 503
 * with Retry-After, and nothing committed: the upload's last chunk is not kept, so the phone sends it again.
 */
function storageUnwritable(cause: unknown): ApiRefusal {
  const refusal = new ApiRefusal(
    503,
    'unavailable',
    'The photo storage cannot be written; nothing was saved. Try again.',
    {
      retryAfter: 2,
    },
  )
  refusal.cause = cause
  return refusal
}

export interface PhotoStorage {
  readonly kind: PhotoStorageKind
  /**
   * Keeps the bytes of a photo that hash to `sha256` (the caller checked). Answers what the photo's row keeps
   * in its `bytes` column. Called before the row is written, so a row never names bytes that are not kept.
   */
  put(sha256: string, bytes: Buffer): Promise<Buffer>
  /** The bytes of a stored photo, from its row or from where the row says they are; refuses `photoUnavailable`. */
  get(row: StoredPhotoRow): Promise<Buffer>
}

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code

/** The bytes in the photo's row: today's behaviour, and the default. */
export class DatabasePhotoStorage implements PhotoStorage {
  readonly kind = 'database'

  async put(_sha256: string, bytes: Buffer): Promise<Buffer> {
    return bytes
  }

  async get(row: StoredPhotoRow): Promise<Buffer> {
    if (row.storage === 'database') return Buffer.from(row.bytes)
    // Stored in a folder by a server that had one: this server was started without ZHIXUN_PHOTO_DIR.
    throw photoUnavailable(row.sha256, 'not_configured')
  }
}

/** One file per photo in a folder that several servers may share (a local disk, or a network mount). */
export class FolderPhotoStorage implements PhotoStorage {
  readonly kind = 'folder'
  readonly dir: string

  constructor(dir: string) {
    this.dir = resolve(dir)
  }

  /** Where the photo's file is: <dir>/ab/cd/abcd… */
  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ZhixunError('invalid_sha256', `not a SHA-256: ${sha256}`)
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256)
  }

  /**
   * Writes the photo's file, unless a good one is there already (another server stored the same photo, or an
   * earlier attempt whose transaction then failed). A file that does not hash to its name is replaced. The
   * bytes go to a temporary file in the same folder, flushed to disk, then renamed: a reader, or a server
   * that crashes meanwhile, never leaves or sees half a photo under its name, and two servers storing the same
   * photo at once each rename identical bytes into place.
   */
  async put(sha256: string, bytes: Buffer): Promise<Buffer> {
    if (sha256Of(bytes) !== sha256) throw new ZhixunError('hash_mismatch', `bytes do not hash to ${sha256}`)
    try {
      await this.write(this.pathOf(sha256), sha256, bytes)
    } catch (err) {
      throw storageUnwritable(err)
    }
    return Buffer.alloc(0)
  }

  private async write(path: string, sha256: string, bytes: Buffer): Promise<void> {
    if (await this.holdsGood(path, sha256)) return
    const folder = join(path, '..')
    await mkdir(folder, { recursive: true })
    const temp = join(folder, `.${sha256}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      const file = await open(temp, 'wx', 0o640)
      try {
        await file.writeFile(bytes)
        await file.sync()
        // A short write (a full disk on some network file systems) is caught here, not at the first read.
        if ((await file.stat()).size !== bytes.length) throw new ZhixunError('short_write', `wrote part of ${sha256}`)
      } finally {
        await file.close()
      }
      await rename(temp, path)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
    await syncFolder(folder)
  }

  async get(row: StoredPhotoRow): Promise<Buffer> {
    // Stored before the server moved to a folder: still in its row.
    if (row.storage === 'database') return Buffer.from(row.bytes)
    let bytes: Buffer
    try {
      bytes = await readFile(this.pathOf(row.sha256))
    } catch (err) {
      throw photoUnavailable(row.sha256, errnoOf(err) === 'ENOENT' ? 'missing' : 'unreadable')
    }
    // Hashing costs about half a millisecond per megabyte; a changed or truncated file is never served as evidence.
    if (sha256Of(bytes) !== row.sha256) throw photoUnavailable(row.sha256, 'corrupt')
    return bytes
  }

  /** Whether the photo's file is there and hashes to its name. */
  private async holdsGood(path: string, sha256: string): Promise<boolean> {
    try {
      return sha256Of(await readFile(path)) === sha256
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false
      throw err
    }
  }

  /**
   * Fails the start when the folder cannot be written (a missing mount, wrong permissions), rather than the
   * first upload after it: creates the folder, writes and removes a file in it.
   */
  async checkWritable(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const probe = join(this.dir, `.probe.${process.pid}.${randomBytes(6).toString('hex')}`)
    await (await open(probe, 'wx')).close()
    await rm(probe)
  }
}

/** Makes a rename durable: the folder's entry is flushed too. Not every platform can open a folder for that. */
async function syncFolder(folder: string): Promise<void> {
  let handle
  try {
    handle = await open(folder, 'r')
    await handle.sync()
  } catch {
    // Windows cannot fsync a folder; the file's own bytes are flushed already.
  } finally {
    await handle?.close()
  }
}

/**
 * The storage the server is configured with: a folder when ZHIXUN_PHOTO_DIR is set (checked writable now),
 * otherwise the database.
 */
export async function photoStorageFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<PhotoStorage> {
  const dir = env.ZHIXUN_PHOTO_DIR
  if (!dir) return new DatabasePhotoStorage()
  const folder = new FolderPhotoStorage(dir)
  await folder.checkWritable()
  return folder
}
