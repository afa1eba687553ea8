/**
 * Auth0: client credentials for an API, with `audience`.
 *
 * Provider quirk: Auth0 issues a machine-to-machine token only for a named API: the token request
 * carries `audience` (the API's identifier, a parameter RFC 6749 does not have), and without it
 * (and no tenant-wide default audience) Auth0 refuses the grant with `access_denied`. The
 * parameter must go with every client-credentials request, the automatic renewals too, so the
 * recipe adds it where the client authenticates each token request: a ClientAuthMethod that is
 * `client_secret_post` (Auth0's default for M2M applications) plus `audience`.
 * https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow/call-your-api-using-the-client-credentials-flow
 *
 *   AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=... AUTH0_CLIENT_SECRET=... \
 *     npx tsx scripts/examples/auth0-client-credentials.ts https://api.example.com/ https://api.example.com/orders
 *
 * Run as a test by test/examples/recipes.test.ts against a stand-in that refuses a request
 * without `audience` as Auth0 does. In an application, import from 'undici-oauth' instead of the source tree.
 */
import { pathToFileURL } from 'node:url'
import { type ClientAuthMethod, OAuth2Client } from '../../lib/index.js'

export interface Auth0Options {
  /** `https://{your-domain}/oauth/token` */
  tokenEndpoint: string
  clientId: string
  clientSecret: string
  /** The API's identifier, as its settings in the Auth0 dashboard show it. */
  audience: string
  /** Permissions of that API, space-separated; default: all granted to the application. */
  scope?: string
}

/**
 * `client_secret_post` (RFC 6749 §2.3.1) that also names the API on every client-credentials
 * request: the client's automatic re-grants send no parameters of the first call, only what
 * its authentication method adds.
 */
export function clientSecretPostWithAudience(audience: string): ClientAuthMethod {
  return {
    name: 'client_secret_post',
    authenticate(request, client) {
      request.body.set('client_id', client.clientId ?? '')
      request.body.set('client_secret', typeof client.clientSecret === 'string' ? client.clientSecret : '')
      if (request.body.get('grant_type') === 'client_credentials') request.body.set('audience', audience)
    },
  }
}

/** A client whose first request obtains a token for `audience`, and which renews it before it expires. */
export function auth0Client(options: Auth0Options): OAuth2Client {
  return new OAuth2Client({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    tokenEndpoint: options.tokenEndpoint,
    grantType: 'client_credentials',
    ...(options.scope === undefined ? {} : { scope: options.scope }),
    tokenEndpointAuthMethod: clientSecretPostWithAudience(options.audience),
  })
}

/** One call to the API with a token issued for it. */
export async function callAuth0Api(
  options: Auth0Options,
  apiUrl: string,
): Promise<{ status: number; body: unknown }> {
  await using client = auth0Client(options)
  const response = await client.get(apiUrl)
  return { status: response.statusCode, body: await response.body.json() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, AUTH0_SCOPE } = process.env
  const [audience, apiUrl] = process.argv.slice(2)
  if (!AUTH0_DOMAIN || !AUTH0_CLIENT_ID || !AUTH0_CLIENT_SECRET || !audience || !apiUrl) {
    console.error(
      'usage: AUTH0_DOMAIN=tenant.auth0.com AUTH0_CLIENT_ID=... AUTH0_CLIENT_SECRET=... [AUTH0_SCOPE=...] ' +
        'tsx scripts/examples/auth0-client-credentials.ts <api-identifier> <api-url>',
    )
    process.exit(2)
  }
  const result = await callAuth0Api(
    {
      tokenEndpoint: `https://${AUTH0_DOMAIN}/oauth/token`,
      clientId: AUTH0_CLIENT_ID,
      clientSecret: AUTH0_CLIENT_SECRET,
      audience,
      ...(AUTH0_SCOPE ? { scope: AUTH0_SCOPE } : {}),
    },
    apiUrl,
  )
  console.log(JSON.stringify(result))
}
