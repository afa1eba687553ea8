/**
 * The service-account example of docs/service-accounts.md (RFC 7523 §2.1 JWT bearer grant), run as a test by
 * test/oauth2/assertion-client.test.ts against a loopback token endpoint.
 *
 *   npx tsx scripts/examples/service-account.ts <service-account.json> <api-url> [scope]
 *
 * In an application, import from 'undici-oauth' instead of the source tree.
 */
import { pathToFileURL } from 'node:url'
import { AssertionClient } from '../../lib/index.js'

export async function callWithServiceAccount(
  path: string,
  apiUrl: string,
  scope = 'https://www.googleapis.com/auth/cloud-platform',
): Promise<{ status: number; body: unknown }> {
  // --- docs/service-accounts.md example starts here
  // The key file Google issued, e.g. process.env.GOOGLE_APPLICATION_CREDENTIALS
  await using client = AssertionClient.fromServiceAccount(path, { scope })
  // No token call: the first request signs an assertion and obtains a token, later ones renew it.
  const response = await client.get(apiUrl)
  // --- docs/service-accounts.md example ends here
  return { status: response.statusCode, body: await response.body.json() }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [path, apiUrl, scope] = process.argv.slice(2)
  if (path === undefined || apiUrl === undefined) {
    console.error('usage: tsx scripts/examples/service-account.ts <service-account.json> <api-url> [scope]')
    process.exit(2)
  }
  const result = await callWithServiceAccount(path, apiUrl, scope)
  console.log(JSON.stringify(result))
}
