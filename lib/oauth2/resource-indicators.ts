/**
 * Resource indicators (RFC 8707): the `resource` parameter that names the protected resource a
 * token is for, on the authorization request (§2.1) and on token requests (§2.2).
 */
import type { ValueError } from '../http/options.js'

/** One resource URI, or several (the parameter is then repeated, RFC 8707 §2). */
export type ResourceIndicator = string | readonly string[]

const EXPECTED = 'an absolute URI without a fragment (RFC 8707 §2), or an array of them'

/**
 * A `resource` value checked as RFC 8707 §2 requires: each an absolute URI without a fragment
 * (a query is allowed though discouraged). Returned as a fresh array; undefined stays undefined.
 */
export function checkResource(name: string, value: unknown, fail: ValueError): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return [checkUri(name, value, fail)]
  if (value.length === 0) throw fail(name, `${EXPECTED}, not an empty array`, value)
  return value.map((item: unknown, index) => checkUri(`${name}[${index}]`, item, fail))
}

function checkUri(name: string, value: unknown, fail: ValueError): string {
  if (typeof value !== 'string' || !URL.canParse(value) || value.includes('#'))
    throw fail(name, EXPECTED, value)
  return value
}
