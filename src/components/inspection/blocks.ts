/**
 * The 现场检查笔录 as a list of blocks in the template's order (../shared/docs/domain.md): title and number,
 * time, place, the party, the agency, the inspectors with their certificate numbers and the recorder, the line
 * that they showed their certificates and told the party of their rights, what was found, the items and
 * counts, the photos with their SHA-256, the party's refusal and the witness, and who signed when. Plain data:
 * the component measures and renders them, the paginator flows them into pages.
 */
import type { Inspection, InspectionSignature, PhotoRef } from '@/kernel/sync-schema'

/** The record as the document needs it: a signed `Inspection`, or a draft of the same shape. */
export type InspectionDocumentData = Pick<
  Inspection,
  | 'id'
  | 'startedAt'
  | 'endedAt'
  | 'place'
  | 'party'
  | 'inspectors'
  | 'recorder'
  | 'findings'
  | 'items'
  | 'photos'
  | 'signatures'
  | 'refusal'
  | 'correctionOf'
> &
  Partial<Pick<Inspection, 'signedAt'>>

export type DocBlock =
  | { key: string; kind: 'title'; title: string; number: string; note: string | null }
  | { key: string; kind: 'field'; label: string; value: string }
  | { key: string; kind: 'heading'; text: string }
  /** Free text, split between pages at line ends when it does not fit. */
  | { key: string; kind: 'text'; text: string }
  | { key: string; kind: 'photo'; label: string; photo: PhotoRef }
  | { key: string; kind: 'signed'; lines: string[] }

type Translate = (key: string, values?: Record<string, unknown>) => string

export function documentBlocks(
  doc: InspectionDocumentData,
  agency: string,
  t: Translate,
  formatTime: (iso: string) => string,
): DocBlock[] {
  const blocks: DocBlock[] = []
  const field = (key: string, label: string, value: string) => blocks.push({ key, kind: 'field', label, value })
  const none = t('inspectionDoc.none')
  blocks.push({
    key: 'title',
    kind: 'title',
    title: t('inspectionDoc.title'),
    number: t('inspectionDoc.number', { id: doc.id }),
    note: doc.correctionOf ? t('inspectionDoc.correctionOf', { id: doc.correctionOf }) : null,
  })
  field(
    'time',
    t('inspectionDoc.time'),
    t('inspectionDoc.timeRange', { from: formatTime(doc.startedAt), to: formatTime(doc.endedAt) }),
  )
  field('place', t('inspectionDoc.place'), doc.place)
  field('party', t('inspectionDoc.partyName'), doc.party.name)
  field('creditCode', t('inspectionDoc.creditCode'), doc.party.creditCode ?? none)
  field('address', t('inspectionDoc.address'), doc.party.address || none)
  field('personPresent', t('inspectionDoc.personPresent'), doc.party.personPresent || none)
  field('personRole', t('inspectionDoc.personRole'), doc.party.personRole || none)
  field('phone', t('inspectionDoc.phone'), doc.party.phone || none)
  field('agency', t('inspectionDoc.agency'), agency || none)
  doc.inspectors.forEach((inspector, i) =>
    field(
      `inspector-${i}`,
      t(i === 0 ? 'inspectionDoc.leadInspector' : 'inspectionDoc.inspector'),
      t('inspectionDoc.inspectorValue', {
        name: inspector.name,
        number: inspector.certificateNumber ?? t('inspectionDoc.noCertificate'),
      }),
    ),
  )
  field('recorder', t('inspectionDoc.recorder'), doc.recorder.name)
  blocks.push({ key: 'statement', kind: 'text', text: t('inspectionDoc.statement') })

  blocks.push({ key: 'findings-heading', kind: 'heading', text: t('inspectionDoc.findings') })
  const paragraphs = doc.findings.split(/\r\n|\r|\n/).filter((p) => p.trim() !== '')
  if (paragraphs.length === 0) blocks.push({ key: 'findings-none', kind: 'text', text: t('inspectionDoc.noFindings') })
  paragraphs.forEach((text, i) => blocks.push({ key: `findings-${i}`, kind: 'text', text }))

  if (doc.items.length > 0) {
    blocks.push({ key: 'items-heading', kind: 'heading', text: t('inspectionDoc.items') })
    doc.items.forEach((item, i) =>
      blocks.push({
        key: `item-${i}`,
        kind: 'text',
        text: item.unit
          ? t('inspectionDoc.itemValueUnit', { index: i + 1, name: item.name, count: item.count, unit: item.unit })
          : t('inspectionDoc.itemValue', { index: i + 1, name: item.name, count: item.count }),
      }),
    )
  }

  if (doc.photos.length > 0) {
    blocks.push({ key: 'photos-heading', kind: 'heading', text: t('inspectionDoc.photos') })
    doc.photos.forEach((photo, i) =>
      blocks.push({ key: `photo-${i}`, kind: 'photo', label: t('inspectionDoc.photoLabel', { index: i + 1 }), photo }),
    )
  }

  if (doc.refusal) {
    blocks.push({ key: 'refusal-heading', kind: 'heading', text: t('inspectionDoc.refusal') })
    blocks.push({
      key: 'refusal-reason',
      kind: 'text',
      text: t('inspectionDoc.refusalReason', { reason: doc.refusal.reason }),
    })
    field('witness', t('inspectionDoc.witness'), doc.refusal.witnessName)
  }

  blocks.push({ key: 'signed-heading', kind: 'heading', text: t('inspectionDoc.signatures') })
  blocks.push({
    key: 'signed',
    kind: 'signed',
    lines:
      doc.signatures.length === 0
        ? [t('inspectionDoc.notSigned')]
        : doc.signatures.map((s) =>
            t('inspectionDoc.signedBy', { role: roleLabel(s, t), name: s.name, time: formatTime(s.signedAt) }),
          ),
  })
  return blocks
}

export function roleLabel(signature: Pick<InspectionSignature, 'role'>, t: Translate): string {
  return t(`inspectionDoc.role.${signature.role}`)
}
