/** Grant type names (RFC 6749 §4, §4.5 extension grants by absolute URI) and their option check. */
import { InvalidOptionError } from '../errors.js'
import { optionError, suggest } from '../http/options.js'

/** An extension grant is named by an absolute URI (RFC 6749 §4.5), e.g. a URN. */
export type ExtensionGrantType = `${string}:${string}`

/**
 * The grants of RFC 6749 §4 and §6, the registered URN grants (RFC 7523 §2.1, RFC 8693 §2.1,
 * RFC 8628 §3.4, RFC 7522 §2.1), and any other extension grant URI. A misspelt grant such as
 * 'client_credential' is none of these.
 */
export type GrantType =
  | 'authorization_code'
  | 'password'
  | 'client_credentials'
  | 'refresh_token'
  | 'urn:ietf:params:oauth:grant-type:jwt-bearer'
  | 'urn:ietf:params:oauth:grant-type:token-exchange'
  | 'urn:ietf:params:oauth:grant-type:device_code'
  | 'urn:ietf:params:oauth:grant-type:saml2-bearer'
  | ExtensionGrantType

const RFC6749_GRANTS: readonly string[] = [
  'authorization_code',
  'password',
  'client_credentials',
  'refresh_token',
]

/** RFC 3986 §3.1: a scheme, then ':' and something after it. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:./

/** A grant type option: an RFC 6749 grant or an absolute URI; anything else is a typo, and named as one. */
export function checkGrantType(name: string, value: unknown): GrantType | undefined {
  if (value === undefined) return undefined
  const expected = `one of ${RFC6749_GRANTS.join(', ')} or an extension grant URI (RFC 6749 §4.5)`
  if (typeof value !== 'string') throw optionError(name, expected, value)
  if (RFC6749_GRANTS.includes(value) || ABSOLUTE_URI.test(value)) return value as GrantType
  const guess = suggest(value, RFC6749_GRANTS)
  throw new InvalidOptionError(
    `option \`${name}\` '${value}' is not a grant type${guess === undefined ? '' : `: did you mean '${guess}'?`} (expected ${expected})`,
  )
}
