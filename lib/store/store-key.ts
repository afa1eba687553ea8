/** The default key a token session shares its token under in a TokenStore. */
import { createHash } from 'node:crypto'

/**
 * sha256 (base64url) over the named parts that identify one grant at one authorization server:
 * token endpoint, client id, grant type, scope and, for an assertion grant, the assertion's
 * issuer, subject, audience and extra claims. Clients whose parts are equal renew as one; any
 * difference gives another key. Secrets are never part of it, and the hash shows none of the parts.
 */
export function deriveStoreKey(parts: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(Object.keys(parts).map(name => [name, parts[name] ?? null]))
  return createHash('sha256').update(canonical).digest('base64url')
}
