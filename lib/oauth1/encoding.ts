/**
 * RFC 5849 §3.6 percent-encoding: the value is UTF-8 encoded, every octet outside the unreserved
 * set (ALPHA, DIGIT, "-", ".", "_", "~") becomes "%" HEXDIG HEXDIG with upper-case hex digits.
 */

// Most values on the signing hot path (keys, tokens, nonces, timestamps) are unreserved already:
// one regex test returns them untouched. Otherwise encodeURIComponent does the UTF-8 work with
// upper-case hex, and only five sub-delims it leaves alone need encoding on top.
const UNRESERVED_ONLY = /^[\w.~-]*$/
const ECMA_UNESCAPED_SUBDELIM = /[!'()*]/
const ECMA_UNESCAPED_SUBDELIMS = /[!'()*]/g

function encodeSubDelim(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`
}

/** True when `value` holds only unreserved characters, so that §3.6 encoding leaves it as is. */
export function isUnreserved(value: string): boolean {
  return UNRESERVED_ONLY.test(value)
}

/**
 * Percent-encodes `value` per RFC 5849 §3.6. Throws `URIError` for a string that is not valid
 * UTF-16 (a lone surrogate has no UTF-8 encoding).
 */
export function percentEncode(value: string): string {
  if (UNRESERVED_ONLY.test(value)) return value
  const encoded = encodeURIComponent(value)
  return ECMA_UNESCAPED_SUBDELIM.test(encoded)
    ? encoded.replace(ECMA_UNESCAPED_SUBDELIMS, encodeSubDelim)
    : encoded
}
