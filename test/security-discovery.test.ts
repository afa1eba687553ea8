/**
 * Issue 11 item 4: discovery trusts only what it may. An http:// issuer on a host that is not
 * loopback is refused before any connection; the document's issuer must be identical to the one
 * asked for (RFC 8414 §3.3, OpenID Connect Discovery §4.3); every endpoint must be https, or http
 * on loopback only when the issuer itself is http on loopback. Real servers on loopback; a
 * dispatcher that resolves `as.example.test` to 127.0.0.1 stands in for a host that is not.
 */

import type { LookupAddress } from 'node:dns'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Agent } from 'undici'
import { InsecureTransportError, InvalidResponseError } from '../lib/errors.js'
import { OAuth2Client } from '../lib/oauth2/client.js'
import { json, type RecordingServer, start } from './fixtures/recording-server.js'

const tls = {
  key: readFileSync(new URL('./fixtures/keys/tls-key.pem', import.meta.url), 'utf8'),
  cert: readFileSync(new URL('./fixtures/keys/tls-cert.pem', import.meta.url), 'utf8'),
}

/** Resolves every host name to 127.0.0.1, so `as.example.test` is a real (loopback) server. */
function toLoopback(
  _host: string,
  options: { all?: boolean },
  callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}

const agent = new Agent({ connect: { ca: tls.cert, lookup: toLoopback } })
t.teardown(() => agent.close())

async function server(options: Parameters<typeof start>[0] = {}): Promise<RecordingServer> {
  const started = await start(options)
  t.teardown(started.close)
  return started
}

/** Serves `document(issuerOrigin)` at both well-known locations. */
function metadataAt(s: RecordingServer, document: (origin: string) => Record<string, unknown>): void {
  s.respond((request, res) => {
    if (request.url.includes('/.well-known/')) return json(res, document(`${s.url}`))
    json(res, { error: 'not_found' }, 404)
  })
}

t.test('an http:// issuer on a host that is not loopback is refused before any connection', async t => {
  const s = await server()
  const port = new URL(s.url).port
  const issuer = `http://as.example.test:${port}`
  metadataAt(s, () => ({ issuer, token_endpoint: `${issuer}/token` }))
  const refused = await OAuth2Client.discover(issuer, { dispatcher: agent }).catch((e: unknown) => e)
  t.ok(refused instanceof InsecureTransportError, 'InsecureTransportError')
  t.match((refused as Error).message, /refusing to discover http:\/\/as\.example\.test/)
  t.equal(s.seen.length, 0, 'no request reached the server')

  // The same issuer with the opt-in is reachable: the refusal above is the check, not the network.
  const allowed = await OAuth2Client.discover(issuer, { dispatcher: agent, allowInsecureTransport: true })
  t.teardown(() => allowed.close())
  t.equal(allowed.metadata.token_endpoint, `${issuer}/token`)
  t.equal(s.seen.length, 1)
})

t.test('the issuer must be identical: a trailing slash either way is a mismatch', async t => {
  const s = await server()
  metadataAt(s, origin => ({ issuer: `${origin}/`, token_endpoint: `${origin}/token` }))
  const mismatch = await OAuth2Client.discover(s.url).catch((e: unknown) => e)
  t.ok(mismatch instanceof InvalidResponseError)
  t.equal(
    (mismatch as Error).message,
    `authorization server metadata: issuer must be '${s.url}' exactly (RFC 8414 §3.3), got '${s.url}/'`,
  )
  // Asked with the slash, the document's slash-less issuer does not match either.
  const other = await server()
  metadataAt(other, origin => ({ issuer: origin, token_endpoint: `${origin}/token` }))
  await t.rejects(OAuth2Client.discover(`${other.url}/`), { message: /issuer must be '.*\/' exactly/ })
  const exact = await OAuth2Client.discover(other.url)
  t.teardown(() => exact.close())
  t.equal(exact.metadata.issuer, other.url)
  t.equal(exact.metadata.token_endpoint, `${other.url}/token`)
})

t.test('the OpenID Connect location is held to the same exact issuer (Discovery §4.3)', async t => {
  const s = await server()
  s.respond((request, res) => {
    if (request.url === '/tenant/.well-known/openid-configuration')
      return json(res, { issuer: `${s.url}/tenant/`, token_endpoint: `${s.url}/tenant/token` })
    json(res, {}, 404)
  })
  await t.rejects(OAuth2Client.discover(`${s.url}/tenant`), InvalidResponseError)
  t.same(
    s.seen.map(r => r.url),
    ['/.well-known/oauth-authorization-server/tenant', '/tenant/.well-known/openid-configuration'],
  )
})

t.test('endpoints with other schemes are refused, naming the field and what came', async t => {
  const cases: [string, unknown, RegExp][] = [
    [
      'authorization_endpoint',
      'javascript:alert(document.cookie)',
      /authorization_endpoint must be an https URL.*'javascript:alert/,
    ],
    ['token_endpoint', 'file:///etc/passwd', /token_endpoint must be an https URL.*'file:\/\/\/etc\/passwd'/],
    ['jwks_uri', 'data:application/json,{}', /jwks_uri must be an https URL/],
    ['userinfo_endpoint', 'ftp://127.0.0.1/me', /userinfo_endpoint must be an https URL/],
    ['revocation_endpoint', 'not a url', /revocation_endpoint must be an absolute URL, got 'not a url'/],
    ['introspection_endpoint', 42, /introspection_endpoint must be an absolute URL, got number/],
    ['registration_endpoint', null, /registration_endpoint must be an absolute URL, got null/],
    [
      'token_endpoint',
      `javascript:${'x'.repeat(200)}`,
      /token_endpoint must be an https URL.*, got 'javascript:x{69}…'$/,
    ],
  ]
  for (const [field, value, message] of cases) {
    const s = await server()
    metadataAt(s, origin => ({ issuer: origin, token_endpoint: `${origin}/token`, [field]: value }))
    const err = await OAuth2Client.discover(s.url).catch((e: unknown) => e)
    t.ok(err instanceof InvalidResponseError, `${field}: InvalidResponseError`)
    t.match((err as Error).message, message, field)
  }
})

t.test('an https issuer cannot point its endpoints at http:// loopback services', async t => {
  const as = await server({ tls })
  const port = new URL(as.url).port
  const issuer = `https://as.example.test:${port}`
  const local = await server()
  as.respond((request, res) => {
    if (request.url === '/.well-known/oauth-authorization-server')
      return json(res, { issuer, token_endpoint: `${local.url}/token` })
    json(res, {}, 404)
  })
  const options = { dispatcher: agent, clientId: 'app', clientSecret: 'app-secret-never-leaks' }
  const err = await OAuth2Client.discover(issuer, options).catch((e: unknown) => e)
  t.ok(err instanceof InvalidResponseError)
  t.match(
    (err as Error).message,
    /token_endpoint must be an https URL, got 'http:\/\/127\.0\.0\.1:\d+\/token'/,
  )
  t.equal(as.seen.length, 1, 'the metadata was fetched over https')
  t.equal(local.seen.length, 0, 'the loopback service received nothing')

  // The same server with https endpoints is accepted, and its token endpoint is used.
  as.respond((request, res) => {
    if (request.url === '/.well-known/oauth-authorization-server')
      return json(res, { issuer, token_endpoint: `${issuer}/token` })
    json(res, { access_token: 'at-from-as', token_type: 'Bearer', expires_in: 60 })
  })
  const client = await OAuth2Client.discover(issuer, options)
  t.teardown(() => client.close())
  t.equal((await client.fetchToken()).access_token, 'at-from-as')
  t.equal(as.seen.at(-1)?.url, '/token')
})

t.test(
  'an http loopback issuer may use http loopback endpoints, on another origin too, and only those',
  async t => {
    const as = await server()
    const other = await server({ host: 'localhost' })
    metadataAt(as, origin => ({ issuer: origin, token_endpoint: `${other.url}/token` }))
    const client = await OAuth2Client.discover(as.url)
    t.teardown(() => client.close())
    t.equal(client.metadata.token_endpoint, `${other.url}/token`)

    metadataAt(as, origin => ({ issuer: origin, token_endpoint: 'http://as.example.test/token' }))
    await t.rejects(OAuth2Client.discover(as.url), {
      name: 'InvalidResponseError',
      message:
        /token_endpoint must be an https URL \(or http on loopback, as the issuer is\), got 'http:\/\/as\.example\.test\/token'/,
    })
  },
)

t.test('the issuer itself: an absolute http(s) URL without query or fragment', async t => {
  await t.rejects(OAuth2Client.discover('as.example.test'), TypeError)
  await t.rejects(OAuth2Client.discover('https://as.example.test/?tenant=1'), {
    name: 'TypeError',
    message: /no query or fragment/,
  })
  await t.rejects(OAuth2Client.discover('https://as.example.test/#x'), /no query or fragment/)
  await t.rejects(OAuth2Client.discover('ftp://as.example.test/'), /must be an https URL/)
})
