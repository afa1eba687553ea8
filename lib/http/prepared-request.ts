import type { Readable } from 'node:stream'

/** A request body as the session sends it. */
export type RequestBody = string | Uint8Array | Readable | FormData | null

/**
 * One outgoing request after normalisation (baseUrl, query, json/form encoding), handed to a
 * client's credentials step (`Session.authorize`). The object is owned by the session: the hook
 * may change `url`, `headers` and `body` freely, never the caller's own objects.
 */
export interface PreparedRequest {
  /** Upper-case method. */
  method: string
  /** Absolute URL with the query already merged. The hook may add query parameters. */
  url: URL
  /** Lower-case header names; a fresh object per request. */
  headers: Record<string, string | string[]>
  /** The body to send; null for none. */
  body: RequestBody
  /**
   * The parameters of an `application/x-www-form-urlencoded` body (set by `form`, or parsed from a
   * string/bytes body with that content-type). OAuth 1 signs them; a hook that changes them must
   * also set `body` to the new serialisation.
   */
  form: URLSearchParams | undefined
}
