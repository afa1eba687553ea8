/**
 * Salesforce: the OAuth 2.0 JWT bearer flow (RFC 7523 §2.1) for server-to-server integration.
 *
 * Provider quirks: the assertion's `iss` is the connected app's consumer key, `sub` the username to
 * act as, and `aud` the login host, `https://login.salesforce.com` (`https://test.salesforce.com`
 * for a sandbox), not the token endpoint; its `exp` may lie at most three minutes ahead (the
 * default assertion lifetime of an AssertionClient, an hour, is refused). The token answer has no
 * `expires_in` (the session lasts as the org's session settings say) and no refresh token, and it
 * names the org's `instance_url`: API calls go there, not to the login host.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
 *
 *   SALESFORCE_CONSUMER_KEY=... SALESFORCE_USERNAME=user@example.com SALESFORCE_PRIVATE_KEY=key.pem \
 *     npx tsx scripts/examples/salesforce-jwt-bearer.ts /services/data/v62.0/limits
 *
 * Run as a test by test/examples/recipes.test.ts against a stand-in that checks the assertion as
 * Salesforce does. In an application, import from 'undici-oauth' instead of the source tree.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { AssertionClient, type KeyLike } from '../../lib/index.js'

export const SALESFORCE_LOGIN = 'https://login.salesforce.com'

/** Salesforce refuses an assertion whose `exp` is more than three minutes ahead. */
const ASSERTION_LIFETIME = 120

export interface SalesforceJwtOptions {
  /** The connected app's consumer key. */
  consumerKey: string
  /** The user to act as; pre-authorized for the app. */
  username: string
  /** The private key of the certificate uploaded to the connected app. */
  privateKey: KeyLike
  /** Default https://login.salesforce.com; https://test.salesforce.com for a sandbox. */
  loginUrl?: string
  /** Default `${loginUrl}/services/oauth2/token`; a test points it at a stand-in. */
  tokenEndpoint?: string
}

/** Obtains a session for `username`, then GETs `path` (e.g. /services/data/v62.0/limits) at the org's instance. */
export async function callSalesforce(
  options: SalesforceJwtOptions,
  path: string,
): Promise<{ instanceUrl: string; status: number; body: unknown }> {
  const loginUrl = options.loginUrl ?? SALESFORCE_LOGIN
  await using client = new AssertionClient({
    tokenEndpoint: options.tokenEndpoint ?? `${loginUrl}/services/oauth2/token`,
    audience: loginUrl,
    issuer: options.consumerKey,
    subject: options.username,
    key: options.privateKey,
    expiresIn: ASSERTION_LIFETIME,
  })
  const token = await client.fetchToken()
  if (typeof token['instance_url'] !== 'string') {
    throw new Error('the Salesforce token answer names no instance_url')
  }
  const instanceUrl = token['instance_url']
  const response = await client.get(new URL(path, instanceUrl))
  return { instanceUrl, status: response.statusCode, body: await response.body.json() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { SALESFORCE_CONSUMER_KEY, SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY, SALESFORCE_LOGIN_URL } =
    process.env
  const [path] = process.argv.slice(2)
  if (!SALESFORCE_CONSUMER_KEY || !SALESFORCE_USERNAME || !SALESFORCE_PRIVATE_KEY || !path) {
    console.error(
      'usage: SALESFORCE_CONSUMER_KEY=... SALESFORCE_USERNAME=... SALESFORCE_PRIVATE_KEY=key.pem ' +
        '[SALESFORCE_LOGIN_URL=https://test.salesforce.com] tsx scripts/examples/salesforce-jwt-bearer.ts <api-path>',
    )
    process.exit(2)
  }
  const result = await callSalesforce(
    {
      consumerKey: SALESFORCE_CONSUMER_KEY,
      username: SALESFORCE_USERNAME,
      privateKey: readFileSync(SALESFORCE_PRIVATE_KEY, 'utf8'),
      ...(SALESFORCE_LOGIN_URL ? { loginUrl: SALESFORCE_LOGIN_URL } : {}),
    },
    path,
  )
  console.log(JSON.stringify(result))
}
