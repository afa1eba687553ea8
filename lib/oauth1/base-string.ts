import { percentEncode } from './encoding.js'

/** A name/value pair, in the order the request carries it. */
export type Parameter = readonly [name: string, value: string]

/**
 * RFC 5849 §3.4.1.2 base string URI: scheme and host in lower case, the port only when it is not
 * the scheme's default, the path as sent (an empty path is "/"), no query and no fragment.
 *
 * A WHATWG `URL` is already normalised exactly this way (`host` omits a default port, `pathname`
 * is never empty for http/https), so nothing is re-parsed here.
 */
export function baseStringUri(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

// Sort keys are `encodedName + SEPARATOR + encodedValue`. Encoded text only holds unreserved
// characters and "%", all above U+0020, so a space sorts a name before any longer name it
// prefixes: plain string order of the keys is then §3.4.1.3.2's "by name, then by value".
const SEPARATOR = ' '
const SEPARATORS = / /g

/**
 * RFC 5849 §3.4.1.3.2 normalised parameters: every name and value percent-encoded (§3.6), sorted
 * by encoded name and then encoded value (byte order), joined as `name=value` pairs with "&".
 */
export function normalizeParameters(sources: readonly Iterable<Parameter>[]): string {
  const keys: string[] = []
  for (const source of sources) {
    for (const [name, value] of source) keys.push(percentEncode(name) + SEPARATOR + percentEncode(value))
  }
  keys.sort()
  return keys.join('&').replace(SEPARATORS, '=')
}

/**
 * RFC 5849 §3.4.1.1 signature base string: the upper-case method, the base string URI (§3.4.1.2)
 * and the normalised parameters (§3.4.1.3), each percent-encoded and joined with "&".
 *
 * Parameters come from the query (§3.4.1.3.1, form-decoded, which `URLSearchParams` does), the
 * form-encoded body when there is one, and the protocol parameters without `oauth_signature` and
 * `realm` (the caller passes them in that state).
 */
export function signatureBaseString(
  method: string,
  url: URL,
  form: URLSearchParams | undefined,
  protocolParameters: Iterable<Parameter>,
): string {
  const sources: Iterable<Parameter>[] = [protocolParameters]
  if (url.search.length > 1) sources.push(url.searchParams)
  if (form !== undefined) sources.push(form)
  // The normalised string holds only unreserved characters, "%", "=" and "&", for which
  // encodeURIComponent and §3.6 agree.
  return `${method.toUpperCase()}&${percentEncode(baseStringUri(url))}&${encodeURIComponent(normalizeParameters(sources))}`
}
