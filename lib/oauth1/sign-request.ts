import type { PreparedRequest } from '../http/prepared-request.js'
import { baseStringFromKeys, type Parameter, SEPARATOR } from './base-string.js'
import { bodyHash } from './body-hash.js'
import { percentEncode } from './encoding.js'
import { generateNonce, generateTimestamp } from './nonce.js'
import { appendToQuery, authorizationHeader, canonicalizeQuery, type SignatureType } from './placement.js'
import type { Signer } from './signature.js'

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded'

export interface SignRequestOptions {
  clientId: string
  signer: Signer
  signatureType: SignatureType
  /** The temporary or token credential identifier (`oauth_token`), when there is one. */
  token?: string | undefined
  /** `oauth_callback`: the temporary credentials request only (RFC 5849 §2.1). */
  callback?: string | undefined
  /** `oauth_verifier`: the token credentials request only (§2.3). */
  verifier?: string | undefined
  realm?: string | undefined
  /** Cover a body that is not form-encoded with `oauth_body_hash`. */
  forceIncludeBody?: boolean | undefined
  /** §3.1 makes `oauth_version` optional; when given it must be "1.0". */
  version?: '1.0' | undefined
  /** Fixed values for reproducible signatures (test vectors); fresh ones are drawn otherwise. */
  nonce?: string | undefined
  timestamp?: string | undefined
}

/**
 * Signs `request` in place (RFC 5849 §3): builds the protocol parameters, computes the signature
 * over the query, the form body and those parameters, and puts every `oauth_*` parameter exactly
 * once where `signatureType` says. Synchronous and free of I/O.
 *
 * Throws `TypeError` when the request cannot be signed as asked: a protocol parameter already
 * present in the query or form body, body placement with a body that is not form-encoded, or
 * `forceIncludeBody` with a body that cannot be hashed without consuming it (stream, FormData).
 *
 * Returns the signature base string (empty for PLAINTEXT), for tests and for comparing with a
 * provider's when it reports `signature_invalid`.
 */
export function signRequest(request: PreparedRequest, options: SignRequestOptions): string {
  const { signer, signatureType } = options
  // The order of the RFC 5849 §1.2 examples, so that rendered headers read like the RFC's.
  const params: Parameter[] = [['oauth_consumer_key', options.clientId]]
  if (options.token !== undefined) params.push(['oauth_token', options.token])
  params.push(
    ['oauth_signature_method', signer.method],
    ['oauth_timestamp', options.timestamp ?? generateTimestamp()],
    ['oauth_nonce', options.nonce ?? generateNonce()],
  )
  if (options.version !== undefined) params.push(['oauth_version', options.version])
  if (options.callback !== undefined) params.push(['oauth_callback', options.callback])
  if (options.verifier !== undefined) params.push(['oauth_verifier', options.verifier])

  let form = request.form
  const body = request.body
  const hasBody = body !== null && body !== '' && !(body instanceof Uint8Array && body.byteLength === 0)
  if (form === undefined) {
    if (hasBody && signatureType === 'body') {
      throw new TypeError(
        'signatureType "body" needs an application/x-www-form-urlencoded body (RFC 5849 §3.5.2); this request has another kind of body',
      )
    }
    if (options.forceIncludeBody && signatureType !== 'body') {
      if (hasBody && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new TypeError(
          'forceIncludeBody needs a string or Uint8Array body to compute oauth_body_hash; a stream or FormData cannot be hashed before it is sent',
        )
      }
      params.push(['oauth_body_hash', bodyHash(hasBody ? (body as string | Uint8Array) : '', signer.method)])
    }
    // A request without a body gets one to carry the parameters (§3.5.2).
    if (signatureType === 'body') form = new URLSearchParams()
  }

  // Query parameters are read back form-decoded; rewriting their spelling keeps the signed values.
  canonicalizeQuery(request.url)
  assertNotPresent(request.url, form, params)

  // Each value is encoded once (§3.6), for the base string and for the header or query.
  const encoded: [string, string][] = []
  for (const [name, value] of params) encoded.push([name, percentEncode(value)])
  let baseString = ''
  if (signer.needsBaseString) {
    const keys: string[] = []
    for (const [name, value] of encoded) keys.push(name + SEPARATOR + value)
    baseString = baseStringFromKeys(request.method, request.url, form, keys)
  }
  const signature = signer.sign(baseString)
  params.push(['oauth_signature', signature])
  encoded.push(['oauth_signature', percentEncode(signature)])

  switch (signatureType) {
    case 'header':
      // Replacing any Authorization header the caller set keeps each parameter in one place.
      request.headers['authorization'] = authorizationHeader(encoded, options.realm)
      break
    case 'query':
      appendToQuery(request.url, encoded)
      break
    case 'body': {
      // A copy, so that a URLSearchParams the caller still holds is never changed.
      const out = new URLSearchParams(form)
      for (const [name, value] of params) out.append(name, value)
      request.form = out
      request.body = out.toString()
      request.headers['content-type'] ??= FORM_CONTENT_TYPE
      break
    }
  }
  return baseString
}

/** §3.5: a protocol parameter already in the query or form would reach the server twice. */
function assertNotPresent(url: URL, form: URLSearchParams | undefined, params: readonly Parameter[]): void {
  const inQuery = url.search.includes('oauth_')
  if (!inQuery && form === undefined) return
  for (const [name] of params) {
    if ((inQuery && url.searchParams.has(name)) || form?.has(name)) {
      throw new TypeError(`${name} is set by the OAuth 1 signer; remove it from the request's query and body`)
    }
  }
}
