/** Authorization server metadata (RFC 8414 §2, §3; OpenID Connect Discovery §4): where it is and what it may say. */
import { InsecureTransportError, InvalidArgumentError, InvalidResponseError } from '../errors.js'
import { isLoopbackHost } from '../http/transport.js'

/** An authorization server metadata document (RFC 8414 §2; OpenID Connect Discovery §3). */
export interface AuthorizationServerMetadata {
  /** The issuer identifier; discovery checks it equals the URL it fetched from (RFC 8414 §3.3). */
  issuer?: string
  /** The authorization endpoint (RFC 6749 §3.1). */
  authorization_endpoint?: string
  /** The token endpoint (RFC 6749 §3.2). */
  token_endpoint?: string
  /** The revocation endpoint (RFC 7009). */
  revocation_endpoint?: string
  /** The introspection endpoint (RFC 7662). */
  introspection_endpoint?: string
  /** RFC 8628 §4. */
  device_authorization_endpoint?: string
  /** The server's signing keys (JWK Set), for ID tokens and signed answers. */
  jwks_uri?: string
  /** The dynamic client registration endpoint (RFC 7591). */
  registration_endpoint?: string
  /** OpenID Connect Core §5.3: the userinfo endpoint. */
  userinfo_endpoint?: string
  /** The scopes the server supports. */
  scopes_supported?: string[]
  /** The `response_type` values the server supports. */
  response_types_supported?: string[]
  /** The grant types the server supports. */
  grant_types_supported?: string[]
  /** The client authentication methods the token endpoint accepts. */
  token_endpoint_auth_methods_supported?: string[]
  /** The PKCE code challenge methods the server supports (RFC 7636 §4.3). */
  code_challenge_methods_supported?: string[]
  /** OpenID Connect Discovery §3: the JWS algorithms of the provider's ID tokens. */
  id_token_signing_alg_values_supported?: string[]
  /** OpenID Connect RP-Initiated Logout §2.1. */
  end_session_endpoint?: string
  /** RFC 9126 §5: where authorization requests are pushed. */
  pushed_authorization_request_endpoint?: string
  /** RFC 9126 §5: the server accepts only pushed authorization requests. */
  require_pushed_authorization_requests?: boolean
  /** RFC 9207 §3: the server puts `iss` in every authorization response. */
  authorization_response_iss_parameter_supported?: boolean
  /** RFC 8705 §5: the endpoints a client using mutual TLS calls instead, by metadata field name. */
  mtls_endpoint_aliases?: Record<string, string>
  /** RFC 8705 §3.3: the server can bind access tokens to the client's certificate. */
  tls_client_certificate_bound_access_tokens?: boolean
  [field: string]: unknown
}

/**
 * The issuer to discover, checked before any connection: an absolute URL without query or
 * fragment (RFC 8414 §2), https, or http only to a loopback host unless insecure transport is
 * allowed (RFC 8414 §3: the client secret goes to the endpoints the document names).
 */
export function checkIssuer(issuer: string, allowInsecureTransport: boolean): URL {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw new InvalidArgumentError(`discover: the issuer must be an absolute URL, got '${issuer}'`)
  }
  if (url.search !== '' || url.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    throw new InvalidArgumentError(
      `discover: the issuer has no query or fragment (RFC 8414 §2), got '${issuer}'`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentError(`discover: the issuer must be an https URL, got '${issuer}'`)
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureTransport) {
    throw new InsecureTransportError(
      `refusing to discover ${issuer} over http://: the document names where the client secret goes; ` +
        'use https://, a loopback host, or allowInsecureTransport: true',
    )
  }
  return url
}

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

/** Metadata fields the client or its user contacts: every `*_endpoint` and `jwks_uri`. */
function isEndpointField(name: string): boolean {
  return name.endsWith('_endpoint') || name === 'jwks_uri'
}

/** Quoted and cut short, for naming the value that came. */
function shown(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value
  return value.length > 80 ? `'${value.slice(0, 80)}…'` : `'${value}'`
}

/**
 * Checks a fetched metadata document: its `issuer` is identical to the issuer asked for (RFC 8414
 * §3.3, OpenID Connect Discovery §4.3: no normalization, a trailing slash counts), and every
 * endpoint is an https URL; http is accepted only to a loopback host when the issuer itself is
 * http on loopback (or anywhere with `allowInsecureTransport`), so an https issuer cannot point
 * the client's secret at a service on the client's own machine.
 */
export function checkMetadata(
  document: Record<string, unknown>,
  issuer: string,
  allowInsecureTransport: boolean,
): AuthorizationServerMetadata {
  const invalid = (reason: string) => new InvalidResponseError(`authorization server metadata: ${reason}`)
  if (document.issuer !== issuer) {
    throw invalid(`issuer must be '${issuer}' exactly (RFC 8414 §3.3), got ${shown(document.issuer)}`)
  }
  const issuerUrl = new URL(issuer)
  const httpIssuer = issuerUrl.protocol === 'http:'
  const checkEndpoint = (name: string, value: unknown): void => {
    const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined
    if (url === undefined) throw invalid(`${name} must be an absolute URL, got ${shown(value)}`)
    if (url.protocol === 'https:') return
    const httpAllowed =
      url.protocol === 'http:' &&
      httpIssuer &&
      (allowInsecureTransport || (isLoopbackHost(issuerUrl.hostname) && isLoopbackHost(url.hostname)))
    if (!httpAllowed) {
      throw invalid(
        `${name} must be an https URL${httpIssuer ? ' (or http on loopback, as the issuer is)' : ''}, got ${shown(value)}`,
      )
    }
  }
  for (const [name, value] of Object.entries(document)) {
    if (isEndpointField(name)) checkEndpoint(name, value)
  }
  // RFC 8705 §5: the aliases are endpoints the client's credentials go to, checked alike.
  const aliases = document.mtls_endpoint_aliases
  if (aliases !== undefined) {
    if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases)) {
      throw invalid(`mtls_endpoint_aliases must be a JSON object (RFC 8705 §5), got ${shown(aliases)}`)
    }
    for (const [name, value] of Object.entries(aliases)) checkEndpoint(`mtls_endpoint_aliases.${name}`, value)
  }
  return document as AuthorizationServerMetadata
}

/**
 * The URL of the endpoint named by metadata field `field` (e.g. 'token_endpoint'): for a client
 * using mutual TLS its alias in `mtls_endpoint_aliases` when the server lists one (RFC 8705 §5:
 * used in preference to the conventional endpoint), else the conventional one.
 */
export function endpointUrl(
  metadata: AuthorizationServerMetadata,
  field: string,
  mutualTls: boolean,
): string | undefined {
  const alias = mutualTls ? metadata.mtls_endpoint_aliases?.[field] : undefined
  if (typeof alias === 'string') return alias
  const url = metadata[field]
  return typeof url === 'string' ? url : undefined
}
