/**
 * Shorter values are not redacted: replacing every 'a' or '42' in a message would shred it, and
 * a secret that short protects nothing anyway.
 */
const MIN_SECRET_LENGTH = 8

/** The forms a secret takes on the wire: raw, URI-encoded (RFC 3986, RFC 5849 §3.6) and form-encoded. */
function spellings(secret: string): string[] {
  // A lone surrogate has no UTF-8 form, so no encoded spelling either.
  if (/\p{Cs}/u.test(secret)) return [secret]
  const uri = encodeURIComponent(secret)
  const strict = uri.replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const form = new URLSearchParams([['', secret]]).toString().slice(1)
  return [...new Set([secret, uri, strict, form])]
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
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue
    for (const spelling of spellings(secret)) redacted = redacted.split(spelling).join('…')
  }
  return redacted as T
}
