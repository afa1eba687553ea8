import { InvalidArgumentError } from '../errors.js'
import { Prepared, type Target } from '../http/prepare.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import { HTTP_TOKEN } from '../http/syntax.js'
import { baseStringFromEncoded, baseStringFromUrlParts, type UrlParts, urlParts } from './base-string.js'
import { bodyHash } from './body-hash.js'
import { percentEncode } from './encoding.js'
import { generateNonce, generateTimestamp } from './nonce.js'
import {
  appendToQuery,
  authorizationHeader,
  canonicalizeQuery,
  isCanonicalQuery,
  type SignatureType,
} from './placement.js'
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
 * Throws an InvalidArgumentError (a TypeError) when the request cannot be signed as asked: a method that is not an HTTP
 * token, a protocol value that is not well-formed Unicode, a form-encoded body given as a stream
 * (its parameters must be signed), a protocol parameter already
 * present in the query or form body, body placement with a body that is not form-encoded, or
 * `forceIncludeBody` with a body that cannot be hashed without consuming it (stream, FormData).
 *
 * Returns the signature base string (empty for PLAINTEXT), for tests and for comparing with a
 * provider's when it reports `signature_invalid`.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 */
export function signRequest(request: PreparedRequest, options: SignRequestOptions): string {
  const { signer, signatureType } = options
  if (request.method !== lastValidMethod && !HTTP_TOKEN.test(request.method)) {
    throw new InvalidArgumentError(
      'the request method must be an HTTP token (RFC 9110 §9.1), which the base string encodes',
    )
  }
  // Parallel arrays of names and raw values, in the order of the RFC 5849 §1.2 examples, so that
  // rendered headers read like the RFC's.
  const names = ['oauth_consumer_key']
  const values = [options.clientId]
  const add = (name: string, value: string | undefined) => {
    if (value === undefined) return
    names.push(name)
    values.push(value)
  }
  add('oauth_token', options.token)
  add('oauth_signature_method', signer.method)
  add('oauth_timestamp', options.timestamp ?? generateTimestamp())
  add('oauth_nonce', options.nonce ?? generateNonce())
  add('oauth_version', options.version)
  add('oauth_callback', options.callback)
  add('oauth_verifier', options.verifier)

  let form = request.form
  const body = request.body
  const hasBody = body !== null && body !== '' && !(body instanceof Uint8Array && body.byteLength === 0)
  if (form === undefined) {
    if (hasBody && typeof body !== 'string' && !(body instanceof Uint8Array) && isFormEncoded(request)) {
      // fetch and the dispatcher hand over even a string body as a stream, which cannot be read
      // here without consuming it; signing without its parameters would only earn a 401.
      throw new InvalidArgumentError(
        'a form-encoded body that arrives as a stream cannot be signed (RFC 5849 §3.4.1.3.1 covers its parameters): send it with request()/post() and `form`',
      )
    }
    if (hasBody && signatureType === 'body') {
      throw new InvalidArgumentError(
        'signatureType "body" needs an application/x-www-form-urlencoded body (RFC 5849 §3.5.2); this request has another kind of body',
      )
    }
    if (options.forceIncludeBody && signatureType !== 'body') {
      if (hasBody && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new InvalidArgumentError(
          'forceIncludeBody needs a string or Uint8Array body to compute oauth_body_hash; a stream or FormData cannot be hashed before it is sent',
        )
      }
      add('oauth_body_hash', bodyHash(hasBody ? (body as string | Uint8Array) : '', signer.method))
    }
    // A request without a body gets one to carry the parameters (§3.5.2).
    if (signatureType === 'body') form = new URLSearchParams()
  }

  lastValidMethod = request.method

  // §3.4.1.2: the base string URI's host and port are those of the Host header, which a caller
  // may set (a virtual host reached through another address).
  const host = hostHeader(request)
  // The session's request still holds the target it was built from (its URL never parsed for
  // this request): what the URL contributes is derived once per target. The query placement
  // rewrites the URL, a query that needs rewriting and a Host header take the general path.
  const target =
    signatureType !== 'query' && host === undefined && request instanceof Prepared
      ? request.target
      : undefined
  const signing = target === undefined ? undefined : targetSigning(target)
  if (signing === undefined) {
    // Query parameters are read back form-decoded; rewriting their spelling keeps the signed values.
    canonicalizeQuery(request.url)
    assertNotPresent(request.url, form, names)
  } else {
    assertNotIn(signing.queryNames, form, names)
  }

  // Each value is encoded once (§3.6), for the base string and for the header or query.
  const encoded: string[] = []
  for (let i = 0; i < values.length; i++) encoded.push(encodeProtocolValue(names[i]!, values[i]!))
  // Copies: the base string adds the query and form parameters to its arrays.
  let baseString = ''
  if (signer.needsBaseString) {
    baseString =
      signing === undefined
        ? baseStringFromEncoded(
            request.method,
            host === undefined ? request.url : withHost(request.url, host),
            form,
            names.slice(),
            encoded.slice(),
          )
        : baseStringFromUrlParts(request.method, signing.parts, form, names.slice(), encoded.slice())
  }
  const signature = signer.sign(baseString)
  add('oauth_signature', signature)
  encoded.push(percentEncode(signature))

  switch (signatureType) {
    case 'header':
      // Replacing any Authorization header the caller set keeps each parameter in one place.
      request.headers['authorization'] = authorizationHeader(names, encoded, options.realm)
      break
    case 'query':
      appendToQuery(request.url, names, encoded)
      break
    case 'body': {
      // A copy, so that a URLSearchParams the caller still holds is never changed.
      const out = new URLSearchParams(form)
      for (let i = 0; i < names.length; i++) out.append(names[i]!, values[i]!)
      request.form = out
      request.body = out.toString()
      request.headers['content-type'] ??= FORM_CONTENT_TYPE
      break
    }
  }
  return baseString
}

// The last method that passed the HTTP token test: clients send the same one over and over.
let lastValidMethod = 'GET'

/** What signing needs of a target's URL, derived once (see `targetSigning`). */
interface TargetSigning {
  readonly parts: UrlParts
  /**
   * The query's form-decoded names when the raw query could hold a protocol parameter ("oauth_"
   * or an escape in it), else undefined (see assertNotPresent).
   */
  readonly queryNames: ReadonlySet<string> | undefined
}

// Targets are cached per session by URL; a request built afresh (a query option, the dispatcher
// path) brings a target of its own, which is dropped with it.
const signings = new WeakMap<Target, TargetSigning | null>()

/**
 * The URL-derived part of signing for `target`, or undefined when its query must be rewritten
 * first (canonicalizeQuery), which takes the general path through the URL object.
 */
function targetSigning(target: Target): TargetSigning | undefined {
  let signing = signings.get(target)
  if (signing === undefined) {
    const url = new URL(target.href)
    const search = url.search
    if (search.length > 1 && !isCanonicalQuery(search)) signing = null
    else {
      const inQuery = search.length > 1 && (search.includes('oauth_') || search.includes('%'))
      signing = {
        parts: urlParts(url),
        queryNames: inQuery ? new Set(url.searchParams.keys()) : undefined,
      }
    }
    signings.set(target, signing)
  }
  return signing ?? undefined
}

/** assertNotPresent for a query whose decoded names are known. */
function assertNotIn(
  queryNames: ReadonlySet<string> | undefined,
  form: URLSearchParams | undefined,
  names: readonly string[],
): void {
  if (queryNames === undefined && form === undefined) return
  assertAbsent(name => queryNames?.has(name) === true || form?.has(name) === true, names)
}

// RFC 9110 §7.2 Host = uri-host [ ":" port ], uri-host an IP literal or a reg-name (RFC 3986 §3.2.2).
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[\w.~!$&'()*+,;=%-]+)(?::\d*)?$/

/** The caller's Host header, when it set one. */
function hostHeader(request: PreparedRequest): string | undefined {
  const host = request.headers['host']
  if (host === undefined) return undefined
  if (typeof host !== 'string' || !HOST.test(host) || !URL.canParse(`http://${host}`)) {
    throw new InvalidArgumentError(
      'the Host header must be one host[:port] (RFC 9110 §7.2), which the base string URI uses',
    )
  }
  return host
}

/** `url` with the Host header's host and port: a copy, normalised as the URL parser does. */
function withHost(url: URL, host: string): URL {
  const signed = new URL(url.href)
  signed.host = host
  return signed
}

function isFormEncoded(request: PreparedRequest): boolean {
  const type = request.headers['content-type']
  const first = Array.isArray(type) ? type[0] : type
  return first?.toLowerCase().startsWith(FORM_CONTENT_TYPE) === true
}

/** §3.6 encoding of a protocol value, with an InvalidArgumentError naming the parameter for a lone surrogate. */
function encodeProtocolValue(name: string, value: string): string {
  try {
    return percentEncode(value)
  } catch (cause) {
    // The value itself may be a credential: the message names only the parameter.
    throw new InvalidArgumentError(
      `${name} must be well-formed Unicode (a lone surrogate has no UTF-8 form)`,
      { cause },
    )
  }
}

/** §3.5: a protocol parameter already in the query or form would reach the server twice. */
function assertNotPresent(url: URL, form: URLSearchParams | undefined, names: readonly string[]): void {
  // A query may decode to an `oauth_` name ("oauth%5Ftoken", "%6Fauth_nonce"): look at the
  // decoded names unless the raw query holds neither "oauth_" nor an escape.
  const search = url.search
  const inQuery = search.length > 1 && (search.includes('oauth_') || search.includes('%'))
  if (!inQuery && form === undefined) return
  assertAbsent(name => (inQuery && url.searchParams.has(name)) || form?.has(name) === true, names)
}

/** Throws when a protocol parameter the signer sets is already `present` in the request. */
function assertAbsent(present: (name: string) => boolean, names: readonly string[]): void {
  // oauth_signature too: the signer adds it last; a second one would be signed over and sent twice (§3.4.1.3.1).
  for (const name of [...names, 'oauth_signature']) {
    if (present(name)) {
      throw new InvalidArgumentError(
        `${name} is set by the OAuth 1 signer; remove it from the request's query and body`,
      )
    }
  }
}
