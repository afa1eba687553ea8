/**
 * Microsoft Entra ID: client credentials with a certificate (private_key_jwt).
 *
 * Provider quirk: Entra identifies the certificate by a thumbprint in the assertion's JWT header,
 * not by `kid`: `x5t#S256`, the base64url SHA-256 of the certificate's DER encoding, with `alg`
 * PS256 (the older form, still accepted, is `x5t`, the SHA-1 thumbprint, with RS256). The
 * assertion's `aud` is the tenant's v2.0 token endpoint, and client-credentials scopes name a
 * resource with `/.default` (every application permission granted to the app), e.g.
 * `https://graph.microsoft.com/.default`.
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 *
 *   ENTRA_TENANT_ID=... ENTRA_CLIENT_ID=... ENTRA_CERTIFICATE=cert.pem ENTRA_PRIVATE_KEY=key.pem \
 *     npx tsx scripts/examples/entra-certificate.ts https://graph.microsoft.com/v1.0/organization
 *
 * Run as a test by test/examples/recipes.test.ts against a stand-in token endpoint that verifies
 * the assertion as Entra does. In an application, import from 'undici-oauth' instead of the source tree.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { type KeyLike, OAuth2Client, PrivateKeyJWT } from '../../lib/index.js'

export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default'

export interface EntraCertificateOptions {
  /** `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` */
  tokenEndpoint: string
  /** The application (client) id of the app registration. */
  clientId: string
  /** The certificate uploaded to the app registration, PEM. */
  certificate: string
  /** The certificate's private key (PEM, JWK, KeyObject or CryptoKey). */
  privateKey: KeyLike
  /** Default `https://graph.microsoft.com/.default`. */
  scope?: string
}

/** The `x5t#S256` header value: base64url SHA-256 of the certificate's DER bytes (RFC 7515 §4.1.8). */
export function certificateThumbprintS256(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url')
}

/** A client that obtains (and renews) app-only tokens with the certificate; the first request gets one. */
export function entraCertificateClient(options: EntraCertificateOptions): OAuth2Client {
  const { tokenEndpoint } = options
  return new OAuth2Client({
    clientId: options.clientId,
    tokenEndpoint,
    grantType: 'client_credentials',
    scope: options.scope ?? GRAPH_DEFAULT_SCOPE,
    tokenEndpointAuthMethod: new PrivateKeyJWT(tokenEndpoint, {
      key: options.privateKey,
      alg: 'PS256',
      headers: { 'x5t#S256': certificateThumbprintS256(options.certificate) },
    }),
  })
}

/** One API call with an app-only token. */
export async function callWithEntraCertificate(
  options: EntraCertificateOptions,
  apiUrl: string,
): Promise<{ status: number; body: unknown }> {
  await using client = entraCertificateClient(options)
  const response = await client.get(apiUrl)
  return { status: response.statusCode, body: await response.body.json() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CERTIFICATE, ENTRA_PRIVATE_KEY, ENTRA_SCOPE } = process.env
  const [apiUrl] = process.argv.slice(2)
  if (!ENTRA_TENANT_ID || !ENTRA_CLIENT_ID || !ENTRA_CERTIFICATE || !ENTRA_PRIVATE_KEY || !apiUrl) {
    console.error(
      'usage: ENTRA_TENANT_ID=... ENTRA_CLIENT_ID=... ENTRA_CERTIFICATE=cert.pem ENTRA_PRIVATE_KEY=key.pem ' +
        '[ENTRA_SCOPE=https://graph.microsoft.com/.default] tsx scripts/examples/entra-certificate.ts <api-url>',
    )
    process.exit(2)
  }
  const result = await callWithEntraCertificate(
    {
      tokenEndpoint: `https://login.microsoftonline.com/${encodeURIComponent(ENTRA_TENANT_ID)}/oauth2/v2.0/token`,
      clientId: ENTRA_CLIENT_ID,
      certificate: readFileSync(ENTRA_CERTIFICATE, 'utf8'),
      privateKey: readFileSync(ENTRA_PRIVATE_KEY, 'utf8'),
      ...(ENTRA_SCOPE ? { scope: ENTRA_SCOPE } : {}),
    },
    apiUrl,
  )
  console.log(JSON.stringify(result))
}
