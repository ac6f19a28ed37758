/**
 * `npm run bundle:server` (part of `npm run build`): the server in one ES module, dist-server/server/main.mjs, which
 * `npm start` runs with plain Node. Run through tsx instead, the same server takes about 50 MB more memory (tsx's
 * loader thread and its compiled sources: 153 MB against 102 MB at rest). Packages stay in node_modules.
 */
import { build } from 'esbuild'

await build({
  entryPoints: ['server/main.ts'],
  // At the depth of server/*/: what the server reads beside its sources (the CSV's locale files, relative to
  // import.meta.url) is found by the same relative path.
  outfile: 'dist-server/server/main.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
})
console.log('bundled the server: dist-server/server/main.mjs')
