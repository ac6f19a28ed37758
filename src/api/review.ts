import type { Review } from '@/kernel/sync-schema'
import { apiJson } from './http'

/** What a supervisor does with a check-in: marks it reviewed, or returns it to the inspector with a comment. */
export type ReviewAction = Review['action']

/** The longest comment the form takes (the server checks again). */
export const REVIEW_COMMENT_MAX = 2000

/** Reviews a check-in; the answer is the review as the server made it, which the inspector's phone pulls. */
export const reviewCheckIn = async (checkInId: string, action: ReviewAction, comment: string) =>
  (
    await apiJson<{ review: Review }>(`/api/checkins/${encodeURIComponent(checkInId)}/review`, 'POST', {
      action,
      comment,
    })
  ).review

/** The check-in's evidence package: records, photos, signatures and audit entries, signed by the server. */
export const evidencePackageUrl = (checkInId: string) => `/api/checkins/${encodeURIComponent(checkInId)}/evidence.zip`
