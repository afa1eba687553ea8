/**
 * RFC 9449 §8 and §9 server nonces: the `DPoP-Nonce` header a server sends, kept per origin, and
 * the two answers that ask for a proof with a fresh one: the authorization server's `400
 * use_dpop_nonce` error (§8) and a resource server's `401` with a `DPoP error="use_dpop_nonce"`
 * challenge (§9). A client keeps the authorization server's nonces and the resource servers' in
 * two caches (§9: they are independent, even on one origin).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { EndpointResponse } from '../http/endpoint-errors.js'
import { firstHeader, type HeaderRecord } from '../http/headers.js'
import { parseWwwAuthenticate } from './bearer.js'

/** §8.1: `DPoP-Nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E (no quote, no backslash). */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Origins remembered per cache; past this it starts over (a client talks to a few servers). */
const MAX_ORIGINS = 256

/** The nonce an answer carries, if a well-formed one. */
export function nonceIn(headers: HeaderRecord | IncomingHttpHeaders): string | undefined {
  const value = firstHeader(headers, 'dpop-nonce')
  return value !== undefined && NONCE.test(value) ? value : undefined
}

/** The latest nonce of each origin. */
export class NonceCache {
  readonly #nonces = new Map<string, string>()

  get(origin: string): string | undefined {
    return this.#nonces.get(origin)
  }

  /** Keeps the nonce `headers` carry for `origin`; true when there was one. */
  learn(origin: string, headers: HeaderRecord | IncomingHttpHeaders): boolean {
    const nonce = nonceIn(headers)
    if (nonce === undefined) return false
    if (!this.#nonces.has(origin) && this.#nonces.size >= MAX_ORIGINS) this.#nonces.clear()
    this.#nonces.set(origin, nonce)
    return true
  }
}

/** §9: a resource's 401 whose DPoP challenge asks for a proof with its nonce. */
export function asksResourceNonce(statusCode: number, headers: HeaderRecord | IncomingHttpHeaders): boolean {
  return (
    statusCode === 401 &&
    parseWwwAuthenticate(headers['www-authenticate']).some(
      challenge => challenge.scheme === 'dpop' && challenge.params.error === 'use_dpop_nonce',
    )
  )
}

/** §8: the authorization server's `400` whose RFC 6749 §5.2 error is `use_dpop_nonce`. */
export function asksAuthorizationServerNonce(response: EndpointResponse): boolean {
  if (response.statusCode !== 400) return false
  try {
    return (JSON.parse(response.body) as { error?: unknown } | null)?.error === 'use_dpop_nonce'
  } catch {
    return false
  }
}
