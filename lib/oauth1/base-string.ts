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
export const SEPARATOR = ' '
const SEPARATORS = / /g
const PERCENTS = /%/g

/** Appends the §3.4.1.3.2 sort key of every parameter in `source` to `keys`. */
export function pushSortKeys(keys: string[], source: Iterable<Parameter>): void {
  for (const [name, value] of source) keys.push(percentEncode(name) + SEPARATOR + percentEncode(value))
}

function joinSorted(keys: string[]): string {
  keys.sort()
  return keys.join('&').replace(SEPARATORS, '=')
}

/**
 * RFC 5849 §3.4.1.3.2 normalised parameters: every name and value percent-encoded (§3.6), sorted
 * by encoded name and then encoded value (byte order), joined as `name=value` pairs with "&".
 */
export function normalizeParameters(sources: readonly Iterable<Parameter>[]): string {
  const keys: string[] = []
  for (const source of sources) pushSortKeys(keys, source)
  return joinSorted(keys)
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
  const keys: string[] = []
  pushSortKeys(keys, protocolParameters)
  return baseStringFromKeys(method, url, form, keys)
}

/**
 * `signatureBaseString` for a caller that already holds the protocol parameters as sort keys
 * (the signer encodes each value once and reuses it for the header or query).
 */
export function baseStringFromKeys(
  method: string,
  url: URL,
  form: URLSearchParams | undefined,
  keys: string[],
): string {
  if (url.search.length > 1) pushSortKeys(keys, url.searchParams)
  if (form !== undefined) pushSortKeys(keys, form)
  keys.sort()
  // The normalised string is encoded once more (§3.4.1.1). It holds only unreserved characters,
  // "%", "=" and "&", so that is "%" -> "%25", "=" -> "%3D", "&" -> "%26", written out directly
  // instead of joining, replacing the separators and encoding the whole string again.
  let parameters = ''
  for (let i = 0; i < keys.length; i++) {
    let key = keys[i]!
    if (key.includes('%')) key = key.replace(PERCENTS, '%25')
    const separator = key.indexOf(SEPARATOR)
    parameters += `${i === 0 ? '' : '%26'}${key.slice(0, separator)}%3D${key.slice(separator + 1)}`
  }
  return `${method.toUpperCase()}&${encodedBaseStringUri(url)}&${parameters}`
}

// Clients call the same few endpoints over and over: remembering the last encoded base string URI
// saves re-encoding it (the one value with reserved characters in every request).
let lastUri = ''
let lastEncodedUri = ''

function encodedBaseStringUri(url: URL): string {
  const uri = baseStringUri(url)
  if (uri !== lastUri) {
    lastEncodedUri = percentEncode(uri)
    lastUri = uri
  }
  return lastEncodedUri
}
