/**
 * Keycloak: standard token exchange (RFC 8693), a service trading the access token it received
 * for one meant for another service.
 *
 * Provider quirks: Keycloak's standard token exchange (Keycloak 26.2 and later) must be switched on
 * for the requesting client, which must be confidential and authenticate; it takes an access
 * token as `subject_token` (so `subject_token_type` is the access-token URN), names the target
 * with `audience` set to the target's *client id* (not a URL; repeat it for several), and the
 * subject token must already be meant for the requesting client (its `aud` names it).
 * `requested_token_type` defaults to an access token. The token endpoint is the realm's
 * `/realms/{realm}/protocol/openid-connect/token`.
 * https://www.keycloak.org/securing-apps/token-exchange
 *
 *   KEYCLOAK_URL=https://sso.example.com KEYCLOAK_REALM=myrealm KEYCLOAK_CLIENT_ID=orders-gateway \
 *   KEYCLOAK_CLIENT_SECRET=... SUBJECT_TOKEN=eyJ... npx tsx scripts/examples/keycloak-token-exchange.ts <target-client-id>
 *
 * Run as a test by test/examples/recipes.test.ts against the embedded oidc-provider's
 * token-exchange grant. In an application, import from 'undici-oauth' instead of the source tree.
 */
import { pathToFileURL } from 'node:url'
import { OAuth2Client, TOKEN_TYPES, type TokenExchangeResponse } from '../../lib/index.js'

export interface KeycloakExchangeOptions {
  /** `https://{host}/realms/{realm}/protocol/openid-connect/token` */
  tokenEndpoint: string
  /** The requesting (confidential) client, with standard token exchange enabled. */
  clientId: string
  clientSecret: string
  /** The access token the caller presented to this service. */
  subjectToken: string
  /** The client id of the service the new token is for. */
  audience: string
  scope?: string
}

/** Exchanges `subjectToken` for an access token whose audience is the target client. */
export async function exchangeForAudience(options: KeycloakExchangeOptions): Promise<TokenExchangeResponse> {
  await using client = new OAuth2Client({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    tokenEndpoint: options.tokenEndpoint,
  })
  return await client.exchangeToken({
    subjectToken: options.subjectToken,
    subjectTokenType: TOKEN_TYPES.accessToken,
    requestedTokenType: TOKEN_TYPES.accessToken,
    audience: options.audience,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET, SUBJECT_TOKEN } =
    process.env
  const [audience, scope] = process.argv.slice(2)
  if (
    !KEYCLOAK_URL ||
    !KEYCLOAK_REALM ||
    !KEYCLOAK_CLIENT_ID ||
    !KEYCLOAK_CLIENT_SECRET ||
    !SUBJECT_TOKEN ||
    !audience
  ) {
    console.error(
      'usage: KEYCLOAK_URL=https://sso.example.com KEYCLOAK_REALM=... KEYCLOAK_CLIENT_ID=... ' +
        'KEYCLOAK_CLIENT_SECRET=... SUBJECT_TOKEN=... tsx scripts/examples/keycloak-token-exchange.ts <target-client-id> [scope]',
    )
    process.exit(2)
  }
  const realm = encodeURIComponent(KEYCLOAK_REALM)
  const issued = await exchangeForAudience({
    tokenEndpoint: `${KEYCLOAK_URL.replace(/\/+$/, '')}/realms/${realm}/protocol/openid-connect/token`,
    clientId: KEYCLOAK_CLIENT_ID,
    clientSecret: KEYCLOAK_CLIENT_SECRET,
    subjectToken: SUBJECT_TOKEN,
    audience,
    ...(scope === undefined ? {} : { scope }),
  })
  // The token itself is a credential: print what it is, not what it says.
  const { access_token: _token, refresh_token: _refresh, ...described } = issued
  console.log(JSON.stringify(described))
}
