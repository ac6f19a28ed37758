import type { InspectionDraftRow, SignatureImage } from '../../src/db/inspections'
import { signatureOf } from '../../src/kernel/inspection-rules'
import { photoBytes, sha256 } from './records'

/** A PNG-ish image as the signature pad hands it over: bytes, their SHA-256 and size. */
export function drawing(seed: number): SignatureImage {
  const b = photoBytes(seed, 3_000)
  return {
    sha256: sha256(b),
    size: b.length,
    bytes: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer,
  }
}

/** Every signature a draft needs: each of its two inspectors' and the party's (by the person present). */
export function fullySigned(row: InspectionDraftRow): InspectionDraftRow {
  const images = [drawing(1), drawing(2), drawing(3)]
  const [lead, co] = row.form.inspectors
  return {
    form: {
      ...row.form,
      signatures: [
        signatureOf('inspector', lead!.name, lead!.userId, images[0]!),
        signatureOf('inspector', co!.name, co!.userId, images[1]!),
        signatureOf('party', row.form.party.personPresent || row.form.party.name, null, images[2]!),
      ],
    },
    images,
  }
}
