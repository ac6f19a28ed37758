import { build } from 'vite'

/**
 * Bundles a benchmark's page-side entry (it imports the app's own modules through `@/`) into one script
 * that a benchmark adds to the page; the script sets `window[name]`. Returns the script's path.
 */
export async function bundleForPage(entry: string, name: string, outDir: string): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    resolve: { alias: { '@': new URL('../src', import.meta.url).pathname } },
    build: { outDir, emptyOutDir: true, lib: { entry, formats: ['iife'], name, fileName: () => 'bundle.js' } },
  })
  return `${outDir}/bundle.js`
}
