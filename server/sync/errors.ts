/** A push that must commit nothing and tell the phone why, with an HTTP status. */
export class PushRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'PushRefused'
  }
}
