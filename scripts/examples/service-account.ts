/**
 * The README's service-account example (RFC 7523 §2.1 JWT bearer grant), run as a test by
 * test/rfc7523-assertion-client.test.ts against a loopback token endpoint.
 *
 *   npx tsx scripts/examples/service-account.ts <service-account.json> <api-url> [scope]
 *
 * In an application, import from 'undici-oauth' instead of the source tree.
 */
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { AssertionClient } from '../../lib/index.js'

export async function callWithServiceAccount(
  path: string,
  apiUrl: string,
  scope = 'https://www.googleapis.com/auth/cloud-platform',
): Promise<{ status: number; body: unknown }> {
  // --- README example starts here
  const conf = JSON.parse(await readFile(path, 'utf8'))
  const tokenUri: string = conf.token_uri
  const header: Record<string, unknown> = { alg: 'RS256' }
  if (conf.private_key_id) header.kid = conf.private_key_id

  await using client = new AssertionClient({
    tokenEndpoint: tokenUri,
    issuer: conf.client_email,
    audience: tokenUri,
    claims: { scope }, // Google puts scope in the assertion
    subject: null,
    key: conf.private_key,
    header,
  })
  // No token call: the first request signs an assertion and obtains a token, later ones renew it.
  const response = await client.get(apiUrl)
  // --- README example ends here
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
