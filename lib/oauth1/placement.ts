import { InvalidArgumentError, InvalidOptionError } from '../errors.js'
import type { Parameter } from './base-string.js'
import { percentEncode } from './encoding.js'

/**
 * Where the protocol parameters travel: the Authorization header, the query, or a form body.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5
 */
export type SignatureType = 'header' | 'query' | 'body'

export const SIGNATURE_TYPES: readonly SignatureType[] = ['header', 'query', 'body']

// §3.5.1: realm is an RFC 2617 quoted-string sent as is (not percent-encoded). Rejecting quotes,
// backslashes and control characters keeps it from breaking out of the quotes.
const UNSAFE_REALM = /["\\\p{Cc}]/u

/** Throws when `realm` cannot be sent as a quoted-string: `Invalid` says whether it was an option or an argument. */
export function assertRealm(
  realm: string,
  Invalid: typeof InvalidOptionError | typeof InvalidArgumentError = InvalidOptionError,
): void {
  if (UNSAFE_REALM.test(realm)) {
    throw new Invalid(
      'realm must not contain double quotes, backslashes or control characters (RFC 5849 §3.5.1)',
    )
  }
}

/**
 * §3.5.1 Authorization header: `OAuth realm="…", name="value", …`, realm first. The values must
 * already be percent-encoded (§3.6); the signer encodes each once for the base string and reuses
 * it here. Protocol parameter names are fixed `oauth_*` words of unreserved characters.
 */
export function authorizationHeader(
  names: readonly string[],
  encodedValues: readonly string[],
  realm?: string,
): string {
  let header = 'OAuth '
  if (realm !== undefined) {
    // The constructor checked its realm option already: one that fails here came with the call.
    assertRealm(realm, InvalidArgumentError)
    header += `realm="${realm}", `
  }
  for (let i = 0; i < names.length; i++) {
    header += i === 0 ? `${names[i]}="${encodedValues[i]}"` : `, ${names[i]}="${encodedValues[i]}"`
  }
  return header
}

/** `name=value&…` with §3.6 encoding, which every form decoder reads back unchanged. */
export function encodePairs(parameters: Iterable<Parameter>): string {
  let out = ''
  for (const [name, value] of parameters)
    out += `${out === '' ? '' : '&'}${percentEncode(name)}=${percentEncode(value)}`
  return out
}

// A query made only of unreserved characters, well-formed escapes, "=" and "&" reads the same to
// every decoder; anything else ("+", "[", "|", "'", raw non-ASCII) is read differently by some.
const CANONICAL_QUERY = /^\?(?:[\w.~=&-]|%[0-9A-Fa-f]{2})*$/

/**
 * Rewrites the query in §3.6 encoding when it holds characters that decoders disagree on or that
 * strict providers reject (oauthlib refuses "[", "|", "$"). The form-decoded parameters, which are
 * what the signature covers (§3.4.1.3.1), do not change; only their spelling does.
 */
export function canonicalizeQuery(url: URL): void {
  const search = url.search
  if (search.length > 1 && !CANONICAL_QUERY.test(search)) url.search = encodePairs(url.searchParams)
}

/** Whether `search` ("?…") is already in a spelling canonicalizeQuery leaves as is. */
export function isCanonicalQuery(search: string): boolean {
  return CANONICAL_QUERY.test(search)
}

/**
 * §3.5.3: the protocol parameters (values already percent-encoded) appended to the query, after
 * the request's own parameters.
 */
export function appendToQuery(url: URL, names: readonly string[], encodedValues: readonly string[]): void {
  let query = url.search
  for (let i = 0; i < names.length; i++)
    query += `${query.length > 1 ? '&' : '?'}${names[i]}=${encodedValues[i]}`
  url.search = query
}
