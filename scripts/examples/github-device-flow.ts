/**
 * GitHub: the device flow (RFC 8628) for an OAuth app, then one API call as the user.
 *
 * Provider quirks: GitHub's device and token endpoints answer form-encoded text unless the request
 * says `Accept: application/json` (this client always does), and they answer every poll with
 * HTTP 200, `authorization_pending` and `slow_down` included, with the error in the body where RFC
 * 8628 §3.5 has a 400 (the client reads a 200 that carries `error` as that error). The device flow
 * needs only the client id (no secret), and must be enabled in the app's settings. Tokens of OAuth
 * apps carry no `expires_in`, `token_type` is lowercase `bearer`, and the API wants a User-Agent.
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
 *
 *   GITHUB_CLIENT_ID=Iv1.... npx tsx scripts/examples/github-device-flow.ts [scope]
 *
 * Run as a test by test/examples/recipes.test.ts against a stand-in that answers as GitHub does.
 * In an application, import from 'undici-oauth' instead of the source tree.
 */
import { pathToFileURL } from 'node:url'
import { type DeviceAuthorization, OAuth2Client } from '../../lib/index.js'

export const GITHUB_ENDPOINTS = {
  deviceAuthorization: 'https://github.com/login/device/code',
  token: 'https://github.com/login/oauth/access_token',
  api: 'https://api.github.com/user',
} as const

export interface GitHubDeviceOptions {
  clientId: string
  /** GitHub scopes, space-separated, e.g. 'read:user'; default none (public data only). */
  scope?: string
  /** Tells the user where to go and which code to enter. */
  show: (authorization: DeviceAuthorization) => void
  /** Default: GitHub's own; a test points them at a stand-in. */
  endpoints?: { deviceAuthorization: string; token: string; api: string }
  signal?: AbortSignal
}

/** Signs the user in on another screen, then calls the API (by default `GET /user`) as that user. */
export async function signInWithGitHub(
  options: GitHubDeviceOptions,
): Promise<{ status: number; body: unknown; scope: string | undefined }> {
  const endpoints = options.endpoints ?? GITHUB_ENDPOINTS
  await using client = new OAuth2Client({
    clientId: options.clientId,
    tokenEndpointAuthMethod: 'none',
    deviceAuthorizationEndpoint: endpoints.deviceAuthorization,
    tokenEndpoint: endpoints.token,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  })
  const authorization = await client.deviceAuthorization({ signal: options.signal })
  options.show(authorization)
  const token = await client.pollDeviceToken(authorization, { signal: options.signal })
  const response = await client.get(endpoints.api, {
    headers: { accept: 'application/vnd.github+json', 'user-agent': 'undici-oauth-recipe' },
  })
  // GitHub lists the scopes the user granted comma-separated.
  return { status: response.statusCode, body: await response.body.json(), scope: token.scope }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const clientId = process.env['GITHUB_CLIENT_ID']
  const [scope] = process.argv.slice(2)
  if (!clientId) {
    console.error('usage: GITHUB_CLIENT_ID=... tsx scripts/examples/github-device-flow.ts [scope]')
    process.exit(2)
  }
  const result = await signInWithGitHub({
    clientId,
    ...(scope === undefined ? {} : { scope }),
    show: ({ verification_uri, user_code }) =>
      console.error(`Open ${verification_uri} and enter the code ${user_code}`),
  })
  console.log(JSON.stringify(result))
}
