/**
 * Okta: a service app (client credentials) that authenticates with private_key_jwt.
 *
 * Provider quirks: Okta looks the verification key up by the assertion header's `kid` (the id of
 * the public key registered on the app), so the recipe requires one; the assertion's `aud` must be
 * the full URL of the token endpoint being called (custom authorization server
 * `https://{domain}/oauth2/{server}/v1/token`, or the org one `https://{domain}/oauth2/v1/token`);
 * and client-credentials tokens of a custom authorization server are only issued for custom
 * scopes (no `openid`, `profile`...).
 * https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/
 * https://developer.okta.com/docs/api/openapi/okta-oauth/guides/client-auth/#jwt-with-private-key
 *
 *   OKTA_TOKEN_ENDPOINT=https://dev-1.okta.com/oauth2/default/v1/token OKTA_CLIENT_ID=... \
 *   OKTA_PRIVATE_KEY=key.pem OKTA_KEY_ID=... npx tsx scripts/examples/okta-private-key-jwt.ts <scope> <api-url>
 *
 * Run as a test by test/examples/recipes.test.ts against the embedded oidc-provider.
 * In an application, import from 'undici-oauth' instead of the source tree.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { type KeyLike, OAuth2Client, PrivateKeyJWT } from '../../lib/index.js'

export interface OktaServiceAppOptions {
  /** The token endpoint, exactly: it is also the assertion's `aud`. */
  tokenEndpoint: string
  clientId: string
  /** The private key whose public half is registered on the app (PEM or JWK). */
  privateKey: KeyLike
  /** The `kid` Okta shows for that public key. */
  keyId: string
  /** Custom scopes, space-separated. */
  scope: string
}

/** A client whose first request obtains a token, renewed before it expires. */
export function oktaServiceAppClient(options: OktaServiceAppOptions): OAuth2Client {
  if (options.keyId === '') throw new TypeError('Okta needs the key id (kid) of the registered public key')
  return new OAuth2Client({
    clientId: options.clientId,
    tokenEndpoint: options.tokenEndpoint,
    grantType: 'client_credentials',
    scope: options.scope,
    tokenEndpointAuthMethod: new PrivateKeyJWT(options.tokenEndpoint, {
      key: options.privateKey,
      kid: options.keyId,
    }),
  })
}

/** One API call with the service app's token. */
export async function callAsOktaServiceApp(
  options: OktaServiceAppOptions,
  apiUrl: string,
): Promise<{ status: number; body: unknown }> {
  await using client = oktaServiceAppClient(options)
  const response = await client.get(apiUrl)
  return { status: response.statusCode, body: await response.body.json() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { OKTA_TOKEN_ENDPOINT, OKTA_CLIENT_ID, OKTA_PRIVATE_KEY, OKTA_KEY_ID } = process.env
  const [scope, apiUrl] = process.argv.slice(2)
  if (!OKTA_TOKEN_ENDPOINT || !OKTA_CLIENT_ID || !OKTA_PRIVATE_KEY || !OKTA_KEY_ID || !scope || !apiUrl) {
    console.error(
      'usage: OKTA_TOKEN_ENDPOINT=https://{domain}/oauth2/default/v1/token OKTA_CLIENT_ID=... ' +
        'OKTA_PRIVATE_KEY=key.pem OKTA_KEY_ID=... tsx scripts/examples/okta-private-key-jwt.ts <scope> <api-url>',
    )
    process.exit(2)
  }
  const result = await callAsOktaServiceApp(
    {
      tokenEndpoint: OKTA_TOKEN_ENDPOINT,
      clientId: OKTA_CLIENT_ID,
      privateKey: readFileSync(OKTA_PRIVATE_KEY, 'utf8'),
      keyId: OKTA_KEY_ID,
      scope,
    },
    apiUrl,
  )
  console.log(JSON.stringify(result))
}
