/** A request the server refuses with an HTTP status and a JSON body `{error: code, message, ...details}`; nothing is committed. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiRefusal'
  }
}
