/**
 * The one base of every error Zhixun throws on purpose, on the phone and on the server. `code` is stable and
 * machine-readable: the API's reason code on the server, the last part of a locale key on the phone
 * (see `errorMessageKey` in src/api/http.ts). Anything else thrown is a bug, not an answer.
 */
export class ZhixunError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string = code,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
  }
}
