/** Renders public/favicon.svg into the PNG icons the manifest names, with Debian's Chromium. Run once; output is committed. */
import { readFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const svg = readFileSync('public/favicon.svg', 'utf8')
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
const page = await browser.newPage()
const sizes: [string, number, boolean][] = [
  ['public/icons/icon-192.png', 192, false],
  ['public/icons/icon-512.png', 512, false],
  ['public/icons/maskable-512.png', 512, true],
  ['public/icons/apple-touch-icon.png', 180, true],
]
for (const [path, size, maskable] of sizes) {
  await page.setViewportSize({ width: size, height: size })
  // A maskable icon keeps its drawing inside the central 80% safe zone, on a full-bleed background.
  const inner = maskable ? Math.round(size * 0.8) : size
  const image = maskable ? svg.replace('rx="96"', 'rx="0"') : svg
  await page.setContent(
    `<body style="margin:0;background:${maskable ? '#0b5cad' : 'transparent'};display:grid;place-items:center;height:${size}px">
     <div style="width:${inner}px;height:${inner}px">${image.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div></body>`,
  )
  await page.screenshot({ path, omitBackground: !maskable })
}
await browser.close()
