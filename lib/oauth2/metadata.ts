import { InvalidResponseError } from '../errors.js'

/** An authorization server metadata document (RFC 8414 §2; OpenID Connect Discovery §3). */
export interface AuthorizationServerMetadata {
  issuer?: string
  authorization_endpoint?: string
  token_endpoint?: string
  revocation_endpoint?: string
  introspection_endpoint?: string
  jwks_uri?: string
  registration_endpoint?: string
  userinfo_endpoint?: string
  scopes_supported?: string[]
  response_types_supported?: string[]
  grant_types_supported?: string[]
  token_endpoint_auth_methods_supported?: string[]
  code_challenge_methods_supported?: string[]
  [field: string]: unknown
}

const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
] as const

/**
 * Where an issuer's metadata may live, in the order to try: RFC 8414 §3.1 inserts the well-known
 * segment between host and path; OpenID Connect Discovery §4 appends it to the issuer.
 */
export function metadataUrls(issuer: URL): string[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '')
  return [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`,
  ]
}

/**
 * Checks a fetched metadata document: a JSON object whose `issuer` is exactly the issuer asked for
 * (RFC 8414 §3.3, against mix-up and impersonation) and whose endpoints are absolute URLs.
 */
export function checkMetadata(
  document: Record<string, unknown>,
  issuer: string,
): AuthorizationServerMetadata {
  const invalid = (reason: string) => new InvalidResponseError(`authorization server metadata: ${reason}`)
  const expected = issuer.replace(/\/$/, '')
  if (typeof document.issuer !== 'string' || document.issuer.replace(/\/$/, '') !== expected) {
    throw invalid(
      `issuer must be '${issuer}', got ${typeof document.issuer === 'string' ? `'${document.issuer}'` : 'none'}`,
    )
  }
  for (const name of ENDPOINTS) {
    const value = document[name]
    if (value === undefined) continue
    if (typeof value !== 'string' || !URL.canParse(value)) throw invalid(`${name} is not an absolute URL`)
  }
  return document as AuthorizationServerMetadata
}
