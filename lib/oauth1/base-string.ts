import { isUnreserved, percentEncode } from './encoding.js'

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

/** Appends every parameter of `source`, percent-encoded (§3.6), to the parallel arrays. */
function pushEncoded(names: string[], values: string[], source: Iterable<Parameter>): void {
  for (const [name, value] of source) {
    names.push(percentEncode(name))
    values.push(percentEncode(value))
  }
}

/**
 * Appends the query's parameters (§3.4.1.3.1: form-decoded), percent-encoded. A query whose names
 * and values are all unreserved characters decodes and re-encodes to itself, so it is split as is
 * without building a URLSearchParams; any other query is decoded by one.
 */
function pushQuery(names: string[], values: string[], search: string): void {
  const start = names.length
  for (const part of search.slice(1).split('&')) {
    if (part === '') continue
    const equals = part.indexOf('=')
    const name = equals === -1 ? part : part.slice(0, equals)
    const value = equals === -1 ? '' : part.slice(equals + 1)
    if (!isUnreserved(name) || !isUnreserved(value)) {
      names.length = start
      values.length = start
      pushEncoded(names, values, new URLSearchParams(search))
      return
    }
    names.push(name)
    values.push(value)
  }
}

/**
 * §3.4.1.3.2 order: by encoded name, then by encoded value, in byte order (encoded text is ASCII,
 * so code-unit order is byte order). Returns the sorted indices. A typical request has about ten
 * parameters, where an insertion sort with direct comparisons beats Array.prototype.sort.
 */
function sortedOrder(names: readonly string[], values: readonly string[]): number[] {
  const order: number[] = []
  for (let i = 0; i < names.length; i++) order.push(i)
  const before = (a: number, b: number) =>
    names[a]! < names[b]! || (names[a] === names[b] && values[a]! < values[b]!)
  if (order.length > 16) return order.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
  for (let i = 1; i < order.length; i++) {
    const index = order[i]!
    let j = i - 1
    while (j >= 0 && before(index, order[j]!)) {
      order[j + 1] = order[j]!
      j--
    }
    order[j + 1] = index
  }
  return order
}

/**
 * RFC 5849 §3.4.1.3.2 normalised parameters: every name and value percent-encoded (§3.6), sorted
 * by encoded name and then encoded value (byte order), joined as `name=value` pairs with "&".
 */
export function normalizeParameters(sources: readonly Iterable<Parameter>[]): string {
  const names: string[] = []
  const values: string[] = []
  for (const source of sources) pushEncoded(names, values, source)
  return sortedOrder(names, values)
    .map(i => `${names[i]}=${values[i]}`)
    .join('&')
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
  const names: string[] = []
  const values: string[] = []
  pushEncoded(names, values, protocolParameters)
  return baseStringFromEncoded(method, url, form, names, values)
}

const PERCENTS = /%/g

/** The second encoding of already encoded text (§3.4.1.1): only "%" is left to encode. */
function encodeAgain(encoded: string): string {
  return encoded.includes('%') ? encoded.replace(PERCENTS, '%25') : encoded
}

/**
 * `signatureBaseString` for a caller that holds the protocol parameters already encoded, as
 * parallel arrays of names and values (the signer encodes each value once and reuses it for the
 * header or query). The arrays receive the query and form parameters too.
 */
export function baseStringFromEncoded(
  method: string,
  url: URL,
  form: URLSearchParams | undefined,
  names: string[],
  values: string[],
): string {
  const search = url.search
  if (search.length > 1) pushQuery(names, values, search)
  return baseStringFromParts(method, encodedBaseStringUri(url), form, names, values)
}

/**
 * What a URL contributes to every base string signed for it, derived once: the encoded base
 * string URI (§3.4.1.2, encoded again for §3.4.1.1) and the query's parameters, form-decoded and
 * percent-encoded (§3.4.1.3.1), as parallel arrays.
 */
export interface UrlParts {
  readonly encodedUri: string
  readonly queryNames: readonly string[]
  readonly queryValues: readonly string[]
}

export function urlParts(url: URL): UrlParts {
  const queryNames: string[] = []
  const queryValues: string[] = []
  const search = url.search
  if (search.length > 1) pushQuery(queryNames, queryValues, search)
  return { encodedUri: percentEncode(baseStringUri(url)), queryNames, queryValues }
}

/**
 * `baseStringFromEncoded` for a URL whose parts were derived once (`urlParts`): no URL object,
 * no query parsing. The arrays receive the query and form parameters.
 */
export function baseStringFromUrlParts(
  method: string,
  parts: UrlParts,
  form: URLSearchParams | undefined,
  names: string[],
  values: string[],
): string {
  const { queryNames, queryValues } = parts
  for (let i = 0; i < queryNames.length; i++) {
    names.push(queryNames[i]!)
    values.push(queryValues[i]!)
  }
  return baseStringFromParts(method, parts.encodedUri, form, names, values)
}

function baseStringFromParts(
  method: string,
  encodedUri: string,
  form: URLSearchParams | undefined,
  names: string[],
  values: string[],
): string {
  if (form !== undefined) pushEncoded(names, values, form)
  // The normalised string is encoded once more (§3.4.1.1). It holds only unreserved characters,
  // "%", "=" and "&", so that is "%" -> "%25", "=" -> "%3D", "&" -> "%26", written out directly
  // instead of joining and encoding the whole string again.
  let parameters = ''
  for (const i of sortedOrder(names, values)) {
    parameters += `${parameters === '' ? '' : '%26'}${encodeAgain(names[i]!)}%3D${encodeAgain(values[i]!)}`
  }
  // §3.4.1.1: the method in upper case, encoded (§3.6) so that a custom method cannot add a part.
  return `${encodedMethod(method)}&${encodedUri}&${parameters}`
}

// Clients send the same one or two methods over and over.
let lastMethod = ''
let lastEncodedMethod = ''

function encodedMethod(method: string): string {
  if (method !== lastMethod) {
    lastEncodedMethod = percentEncode(method.toUpperCase())
    lastMethod = method
  }
  return lastEncodedMethod
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
