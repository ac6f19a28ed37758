/**
 * The printable 现场检查笔录 of an evidence package: one standalone HTML page per inspection record, in the
 * field order of the usual template, for A4. Every text from a record is escaped: a party named `<script>`
 * prints as those characters. No script runs in it (its own Content-Security-Policy says so); signatures are
 * embedded, photos shown from the package's photos/ folder beside it.
 */
import { guangdongDateTime } from '../../src/kernel/guangdong-time'
import type { Inspection, InspectionSignature, PhotoRef } from '../../src/kernel/sync-schema'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text as HTML shows it, never as markup (element content and quoted attribute values alike). */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)

/** The file name a photo has in the package. */
export function photoFileName(photo: Pick<PhotoRef, 'sha256' | 'type'>): string {
  const ext = photo.type === 'image/jpeg' ? 'jpg' : photo.type === 'image/webp' ? 'webp' : 'png'
  return `photos/${photo.sha256}.${ext}`
}

export const signatureFileName = (sha256: string): string => `signatures/${sha256}.png`

/** What the server found of the record, printed under it. */
export interface InspectionFacts {
  /** The inspecting agency: the department of the check-in. */
  department: string
  hash: string | null
  signatureStatus: string | null
  chainStatus: string | null
  certifiedCount: number | null
  twoCertified: string | null
  clockSkewMs: number | null
}

const ROLE_LABEL: Record<InspectionSignature['role'], string> = {
  inspector: '检查人员',
  party: '被检查人',
  witness: '见证人',
}

const SIGNATURE_STATUS: Record<string, string> = {
  valid: '有效',
  unsigned: '未签名',
  invalid: '无效',
  unknown_key: '未知密钥',
}
const CHAIN_STATUS: Record<string, string> = {
  linked: '连续',
  first: '首条记录',
  gap: '缺失前一条',
  broken: '前一条哈希不符',
  unchained: '无链（旧版本）',
}
const TWO_CERTIFIED: Record<string, string> = { ok: '满足', missing: '不足两名', not_required: '未要求' }

const STYLE = `
@page { size: A4; margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "Songti SC", "SimSun", "Noto Serif CJK SC", serif; font-size: 11pt; line-height: 1.6;
  color: #000; background: #fff; margin: 0 auto; max-width: 180mm; padding: 8mm 0; }
h1 { text-align: center; font-size: 20pt; letter-spacing: 0.3em; margin: 0 0 2mm; }
.number { text-align: right; margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm; }
th, td { border: 1px solid #000; padding: 1.5mm 2mm; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
th { width: 28mm; font-weight: normal; white-space: nowrap; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.statement { margin: 2mm 0 3mm; }
.photos { display: flex; flex-wrap: wrap; gap: 3mm; }
.photos figure { margin: 0; width: 40mm; }
.photos img { width: 40mm; height: 30mm; object-fit: cover; border: 1px solid #999; }
.photos figcaption, .hash { font-family: monospace; font-size: 7pt; overflow-wrap: anywhere; }
.signatures { display: flex; flex-wrap: wrap; gap: 4mm; break-inside: avoid; }
.signature { width: 55mm; border-bottom: 1px solid #000; }
.signature img { width: 55mm; height: 22mm; object-fit: contain; }
.facts { font-size: 8.5pt; margin-top: 4mm; break-inside: avoid; }
@media print { body { padding: 0; } }
`

const CSP = "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'"

const when = (iso: string) => `${guangdongDateTime(iso)}（北京时间）`
const row = (label: string, value: string) => `<tr><th>${escapeHtml(label)}</th><td>${value}</td></tr>`
const text = (s: string) => `<span class="text">${escapeHtml(s)}</span>`

/** The 笔录 of `inspection` as a standalone HTML page; `signatureBytes` are the drawn signatures by SHA-256. */
export function inspectionHtml(
  inspection: Inspection,
  facts: InspectionFacts,
  signatureBytes: ReadonlyMap<string, Uint8Array>,
): string {
  const p = inspection.party
  const inspectors = inspection.inspectors
    .map((i) => `${escapeHtml(i.name)}（执法证号：${escapeHtml(i.certificateNumber ?? '未记录')}）`)
    .join('<br>')
  const items =
    inspection.items.length === 0
      ? '无'
      : `<table><tr><th>物品名称</th><th>数量</th></tr>${inspection.items
          .map((i) => `<tr><td>${escapeHtml(i.name)}</td><td>${i.count}${escapeHtml(i.unit ?? '')}</td></tr>`)
          .join('')}</table>`
  const photos =
    inspection.photos.length === 0
      ? '无'
      : `<div class="photos">${inspection.photos
          .map(
            (ph, n) =>
              `<figure><img src="${escapeHtml(photoFileName(ph))}" alt="照片 ${n + 1}"><figcaption>${n + 1}. SHA-256 ${escapeHtml(ph.sha256)}</figcaption></figure>`,
          )
          .join('')}</div>`
  const signatures = inspection.signatures
    .map((s) => {
      const bytes = signatureBytes.get(s.sha256)
      const img = bytes
        ? `<img src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}" alt="${escapeHtml(s.name)} 的签名">`
        : '<p>（签名图像缺失）</p>'
      return `<div class="signature">${img}<div>${escapeHtml(ROLE_LABEL[s.role])}：${escapeHtml(s.name)}</div><div>${escapeHtml(when(s.signedAt))}</div><div class="hash">SHA-256 ${escapeHtml(s.sha256)}</div></div>`
    })
    .join('')
  const refusal = inspection.refusal
    ? row(
        '拒绝签字',
        `被检查人拒绝签字，理由：${text(inspection.refusal.reason)}<br>见证人：${escapeHtml(inspection.refusal.witnessName)}`,
      )
    : ''
  const skew = facts.clockSkewMs === null ? '未报告' : `${Math.round(facts.clockSkewMs / 1000)} 秒`
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>现场检查笔录 ${escapeHtml(inspection.id)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>现场检查笔录</h1>
<p class="number">文书编号：${escapeHtml(inspection.id)}</p>
<table>
${row('检查时间', `自 ${escapeHtml(when(inspection.startedAt))} 至 ${escapeHtml(when(inspection.endedAt))}`)}
${row('检查地点', text(inspection.place))}
${row('被检查人', text(p.name))}
${row('统一社会信用代码', escapeHtml(p.creditCode ?? '无'))}
${row('地址', text(p.address))}
${row('现场负责人', `${escapeHtml(p.personPresent)}\u3000职务：${escapeHtml(p.personRole)}\u3000电话：${escapeHtml(p.phone)}`)}
${row('检查机关', escapeHtml(facts.department))}
${row('检查人员', inspectors)}
${row('记录人', escapeHtml(inspection.recorder.name))}
</table>
<p class="statement">检查人员已向当事人出示执法证件，并告知当事人享有陈述、申辩和申请回避的权利。</p>
<table>
${row('检查情况', text(inspection.findings))}
${row('物品', items)}
${row('现场照片', photos)}
${refusal}
${inspection.correctionOf ? row('更正', `本笔录更正文书编号 ${escapeHtml(inspection.correctionOf)} 的笔录，原笔录保留。`) : ''}
</table>
<div class="signatures">${signatures}</div>
<p>签署时间：${escapeHtml(when(inspection.signedAt))}</p>
<div class="facts">
<div>记录哈希（SHA-256）：<span class="hash">${escapeHtml(facts.hash ?? '')}</span></div>
<div>手机签名：${escapeHtml(SIGNATURE_STATUS[facts.signatureStatus ?? ''] ?? facts.signatureStatus ?? '无')}；记录链：${escapeHtml(
    inspection.chain
      ? `${inspection.chain.clientId} 第 ${inspection.chain.seq} 条，${CHAIN_STATUS[facts.chainStatus ?? ''] ?? facts.chainStatus ?? ''}`
      : (CHAIN_STATUS[facts.chainStatus ?? 'unchained'] ?? ''),
  )}</div>
<div>持有效执法证的检查人员：${facts.certifiedCount ?? '未核对'} 名；两名持证人员：${escapeHtml(
    TWO_CERTIFIED[facts.twoCertified ?? ''] ?? '未核对',
  )}；手机时钟偏差：${escapeHtml(skew)}</div>
</div>
</body>
</html>
`
}
