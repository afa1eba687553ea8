/**
 * X (Twitter): OAuth 1.0a user context, the three-legged flow (RFC 5849 §2), then a signed call.
 *
 * Provider quirks: X signs with HMAC-SHA1 only; the request-token call must carry
 * `oauth_callback`, a callback URL registered on the app (or `oob` for the PIN flow), and the
 * answer must say `oauth_callback_confirmed=true` (the recipe refuses temporary credentials that
 * do not); the access-token answer adds `user_id` and `screen_name`, and the token credentials do
 * not expire (until the user revokes the app).
 * https://docs.x.com/resources/fundamentals/authentication/oauth-1-0a/obtaining-user-access-tokens
 *
 *   X_CONSUMER_KEY=... X_CONSUMER_SECRET=... X_CALLBACK_URL=https://app.example/callback \
 *     npx tsx scripts/examples/x-oauth1-user-context.ts https://api.x.com/2/users/me
 *
 * It prints the URL to open, then reads the URL the browser was sent back to from stdin.
 * Run as a test by test/examples/recipes.test.ts against oauthlib's OAuth 1 provider
 * (test/fixtures/oauth1_provider.py). In an application, import from 'undici-oauth' instead.
 */
import { createInterface } from 'node:readline/promises'
import { pathToFileURL } from 'node:url'
import { OAuth1Client } from '../../lib/index.js'

export const X_ENDPOINTS = {
  requestToken: 'https://api.x.com/oauth/request_token',
  authorize: 'https://api.x.com/oauth/authorize',
  accessToken: 'https://api.x.com/oauth/access_token',
} as const

export interface XUserContextOptions {
  consumerKey: string
  consumerSecret: string
  /** A callback URL registered on the app, sent as `oauth_callback`. */
  callbackUrl: string
  /** Sends the user to `authorizeUrl`; resolves with the callback URL they came back to. */
  authorize: (authorizeUrl: string) => Promise<string>
  /** Default: X's own; a test points them at a stand-in. */
  endpoints?: { requestToken: string; authorize: string; accessToken: string }
}

export interface XUserContextResult {
  /** Who authorized the app, when the provider says (X does). */
  user: { user_id?: unknown; screen_name?: unknown }
  status: number
  body: unknown
}

/** Obtains the user's token credentials, then makes one signed GET to `apiUrl` as the user. */
export async function callAsXUser(options: XUserContextOptions, apiUrl: string): Promise<XUserContextResult> {
  const endpoints = options.endpoints ?? X_ENDPOINTS
  await using client = new OAuth1Client({
    clientId: options.consumerKey,
    clientSecret: options.consumerSecret,
    signatureMethod: 'HMAC-SHA1',
    redirectUri: options.callbackUrl,
  })
  const temporary = await client.fetchRequestToken(endpoints.requestToken)
  if (temporary.oauth_callback_confirmed !== 'true') {
    throw new Error('the request-token answer lacks oauth_callback_confirmed=true: check the callback URL')
  }
  const callback = await options.authorize(client.createAuthorizationUrl(endpoints.authorize))
  client.parseAuthorizationResponse(callback)
  const token = await client.fetchAccessToken(endpoints.accessToken)
  // Persist `token` (oauth_token, oauth_token_secret) to act as this user later without the flow.
  const response = await client.get(apiUrl)
  return {
    user: { user_id: token.user_id, screen_name: token.screen_name },
    status: response.statusCode,
    body: await response.body.json(),
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { X_CONSUMER_KEY, X_CONSUMER_SECRET, X_CALLBACK_URL } = process.env
  const [apiUrl] = process.argv.slice(2)
  if (!X_CONSUMER_KEY || !X_CONSUMER_SECRET || !X_CALLBACK_URL || !apiUrl) {
    console.error(
      'usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... X_CALLBACK_URL=https://app.example/callback ' +
        'tsx scripts/examples/x-oauth1-user-context.ts <api-url>',
    )
    process.exit(2)
  }
  const result = await callAsXUser(
    {
      consumerKey: X_CONSUMER_KEY,
      consumerSecret: X_CONSUMER_SECRET,
      callbackUrl: X_CALLBACK_URL,
      authorize: async url => {
        const terminal = createInterface({ input: process.stdin, output: process.stderr })
        try {
          return await terminal.question(`Open ${url}\nthen paste the URL you were sent back to: `)
        } finally {
          terminal.close()
        }
      },
    },
    apiUrl,
  )
  console.log(JSON.stringify(result))
}
