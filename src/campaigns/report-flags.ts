/**
 * What a supervisor reads of a check-in's integrity flags (issue 11): each flag the server found, as a locale
 * key with its values and a tone. No Vue here, so the rules are tested in milliseconds.
 */
import type { ReportCheckIn, ReportFlags } from '../kernel/campaign-schema'

/** A phone clock further than this from the server's when it sent the record is flagged (the server's rule). */
export const CLOCK_SKEW_FLAG_MS = 5 * 60_000

export type FlagTone = 'ok' | 'warn' | 'danger' | 'info'

export interface FlagLine {
  /**
   * Which flag: two certified inspectors, chain, clock or signature; `integrity` stands for chain, clock and
   * signature together when all three are fine, or all three absent (a record from an app before them).
   */
  flag: 'twoCertified' | 'chain' | 'clock' | 'signature' | 'integrity'
  tone: FlagTone
  /** The locale key of the sentence, and its values. */
  key: string
  params: Record<string, number>
}

function twoCertifiedLine(f: ReportFlags): FlagLine {
  const n = f.certifiedCount ?? 0
  switch (f.twoCertified) {
    case 'ok':
      return { flag: 'twoCertified', tone: 'ok', key: 'flags.twoCertified.ok', params: { n } }
    case 'missing':
      return { flag: 'twoCertified', tone: 'danger', key: 'flags.twoCertified.missing', params: { n } }
    case 'not_required':
      return f.certifiedCount === null
        ? { flag: 'twoCertified', tone: 'info', key: 'flags.twoCertified.notRequired', params: {} }
        : { flag: 'twoCertified', tone: 'info', key: 'flags.twoCertified.notRequiredCount', params: { n } }
    default:
      return { flag: 'twoCertified', tone: 'info', key: 'flags.twoCertified.unknown', params: {} }
  }
}

const CHAIN_TONES: Record<ReportFlags['chain'], FlagTone> = {
  linked: 'ok',
  first: 'ok',
  gap: 'warn',
  broken: 'danger',
  unchained: 'info',
}

const SIGNATURE_TONES: Record<ReportFlags['signature'], FlagTone> = {
  valid: 'ok',
  unsigned: 'warn',
  invalid: 'danger',
  unknown_key: 'danger',
}

function clockLine(skewMs: number | null): FlagLine {
  if (skewMs === null) return { flag: 'clock', tone: 'info', key: 'flags.clock.unknown', params: {} }
  if (Math.abs(skewMs) <= CLOCK_SKEW_FLAG_MS) return { flag: 'clock', tone: 'ok', key: 'flags.clock.ok', params: {} }
  // The server keeps the phone's time minus its own: more than zero, the phone was ahead.
  const minutes = Math.round(Math.abs(skewMs) / 60_000)
  return {
    flag: 'clock',
    tone: 'warn',
    key: skewMs > 0 ? 'flags.clock.ahead' : 'flags.clock.behind',
    params: { minutes },
  }
}

/**
 * The flags of a report item, the two-certified one first; none for a server that sends none. Chain, clock and
 * signature are one line when all three are fine, and one when a record predates all three: a list of twenty
 * check-ins stays short, and what is wrong stands out.
 */
export function flagLines(flags: ReportFlags | undefined): FlagLine[] {
  if (!flags) return []
  const integrity: FlagLine[] = [
    { flag: 'chain', tone: CHAIN_TONES[flags.chain] ?? 'warn', key: `flags.chain.${flags.chain}`, params: {} },
    clockLine(flags.clockSkewMs),
    {
      flag: 'signature',
      tone: SIGNATURE_TONES[flags.signature] ?? 'warn',
      key: `flags.signature.${flags.signature}`,
      params: {},
    },
  ]
  const oldApp = flags.chain === 'unchained' && flags.clockSkewMs === null && flags.signature === 'unsigned'
  const together: FlagLine[] = integrity.every((l) => l.tone === 'ok')
    ? [{ flag: 'integrity', tone: 'ok', key: 'flags.integrityOk', params: {} }]
    : oldApp
      ? [{ flag: 'integrity', tone: 'warn', key: 'flags.oldApp', params: {} }]
      : integrity
  return [twoCertifiedLine(flags), ...together]
}

/** How many of these check-ins lack the two certified inspectors their campaign requires. */
export const missingTwoCertified = (checkIns: readonly ReportCheckIn[]): number =>
  checkIns.filter((c) => c.flags?.twoCertified === 'missing').length
