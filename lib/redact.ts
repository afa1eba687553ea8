/**
 * Shorter values are not redacted: replacing every 'a' or '42' in a message would shred it, and
 * a secret that short protects nothing anyway.
 */
const MIN_SECRET_LENGTH = 8

/** RFC 3986 §2.1 strict percent-encoding (RFC 5849 §3.6): encodeURIComponent plus !'()*. */
function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

/**
 * The forms a secret takes on the wire: raw, URI-encoded, form-encoded, and encoded twice (an
 * RFC 5849 PLAINTEXT signature holds the encoded secrets and is encoded again in the header,
 * §3.4.4 and §3.5.1).
 */
function spellings(secret: string): string[] {
  // A lone surrogate has no UTF-8 form, so no encoded spelling either.
  if (/\p{Cs}/u.test(secret)) return [secret]
  const uri = encodeURIComponent(secret)
  const strict = strictEncode(secret)
  const form = formEncode(secret)
  return [...new Set([secret, uri, strict, form, strictEncode(strict), formEncode(strict)])]
}

/**
 * `text` with every known secret replaced by '…', in each of its encodings: a server may echo
 * what it received (a Basic header, a PLAINTEXT signature, a form body) in an error message.
 */
export function redactSecrets<T extends string | undefined>(
  text: T,
  secrets: readonly (string | undefined)[],
): T {
  if (text === undefined) return text
  let redacted: string = text
  // Longest first, so a secret that contains another is not left half-redacted.
  const spelled = secrets
    .filter((secret): secret is string => secret !== undefined && secret.length >= MIN_SECRET_LENGTH)
    .flatMap(spellings)
    .sort((a, b) => b.length - a.length)
  for (const spelling of spelled) redacted = redacted.split(spelling).join('…')
  return redacted as T
}

/**
 * Form parameters of OAuth endpoint requests that carry no secret (RFC 6749 §4, §6, RFC 7009 §2.1,
 * RFC 7662 §2.1, RFC 8693 §2.1); every other value sent is treated as one. Names ending in `_type`
 * (subject_token_type, client_assertion_type, ...) name kinds of things, not secrets.
 */
const NOT_SECRET = new Set([
  'grant_type',
  'scope',
  'redirect_uri',
  'client_id',
  'token_type_hint',
  'resource',
  'audience',
])

/**
 * The secrets one endpoint request carried, as sent: the credentials of its Authorization header
 * (for Basic also the decoded id:secret and the secret alone, RFC 7617 §2) and the value of every
 * form parameter except the ones listed above. A server that echoes any of them in an error is
 * redacted with these.
 */
export function sentSecrets(headers: Readonly<Record<string, string>>, body: URLSearchParams): string[] {
  const secrets: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization') continue
    const space = value.indexOf(' ')
    const credentials = space === -1 ? value : value.slice(space + 1).trim()
    secrets.push(credentials)
    if (value.slice(0, space).toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
      const secret = new URLSearchParams(`s=${decoded.slice(colon + 1)}`).get('s')!
      secrets.push(decoded, secret)
    }
  }
  for (const [name, value] of body) {
    if (!NOT_SECRET.has(name) && !name.endsWith('_type')) secrets.push(value)
  }
  return secrets
}
