/**
 * Last step of `npm run build`: a brotli (`.br`) and a gzip (`.gz`) copy beside every file of dist/ that
 * compresses, made once at the highest levels; the server sends the one the client asks for
 * (server/http/encoding.ts). Files that would not get smaller (PNGs, files under 0.5 KB) are left alone.
 */
import { resolve } from 'node:path'
import { precompress } from '../server/http/encoding'

const done = await precompress(resolve(process.argv[2] ?? 'dist'))
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
console.log(`precompressed ${done.files} files of ${kb(done.bytes)}: brotli ${kb(done.br)}, gzip ${kb(done.gzip)}`)
