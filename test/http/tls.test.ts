/**
 * The Session `tls` option (RFC 8705 §2 client certificate): checked strictly at construction, with
 * no secret in any message; presented on every pooled socket (request, fetch, the dispatcher), also
 * through a proxy (`proxy: url` and `proxy: 'env'`); key and passphrase never shown by inspect or
 * JSON, the dispatcher's included.
 */
import { once } from 'node:events'
import { createServer as createHttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { Agent, request as undiciRequest } from 'undici'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { Session } from '../../lib/session.js'
import { startConnectProxy } from '../fixtures/connect-proxy.js'
import { certificateThumbprint, MTLS_KEYS } from '../fixtures/mtls-provider.js'

const { ca, client: clientCert, other, server: serverTls } = MTLS_KEYS
const CLIENT_X5T = certificateThumbprint(clientCert.cert)

/** An https origin that answers with the thumbprint of the client certificate shown, or null. */
async function certificateEcho(t: Test): Promise<string> {
  const server = createHttpsServer(
    { ...serverTls, ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const raw = (req.socket as TLSSocket).getPeerCertificate().raw
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ x5t: raw === undefined ? null : certificateThumbprint(raw) }))
    },
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(
    () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`
}

async function shown(response: { body: { json(): Promise<unknown> } }): Promise<string | null> {
  return ((await response.body.json()) as { x5t: string | null }).x5t
}

t.test('every request path presents the certificate: request, fetch, the dispatcher', async t => {
  const origin = await certificateEcho(t)
  await using session = new Session({ tls: { ...clientCert, ca } })
  t.equal(await shown(await session.get(`${origin}/a`)), CLIENT_X5T, 'request')
  const fetched = await session.fetch(`${origin}/b`)
  t.equal(((await fetched.json()) as { x5t: string }).x5t, CLIENT_X5T, 'fetch')
  t.equal(
    await shown(await undiciRequest(`${origin}/c`, { dispatcher: session.dispatcher })),
    CLIENT_X5T,
    'dispatcher',
  )

  // PEM as Buffers and a chain given as an array load the same way.
  await using buffers = new Session({
    tls: {
      cert: [Buffer.from(clientCert.cert)],
      key: Buffer.from(clientCert.key),
      passphrase: clientCert.passphrase,
      ca: [ca],
    },
  })
  t.equal(await shown(await buffers.get(origin)), CLIENT_X5T, 'Buffers and arrays')

  // `ca` alone trusts the server and shows no certificate.
  await using trustOnly = new Session({ tls: { ca } })
  t.equal(await shown(await trustOnly.get(origin)), null, 'no client certificate')
  // Without `ca` the test CA is not trusted: `ca` is what made the connections above possible.
  await using untrusted = new Session()
  await t.rejects(untrusted.get(origin), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })
})

t.test('through a proxy the certificate reaches the origin: proxy url and proxy "env"', async t => {
  const origin = await certificateEcho(t)
  const proxy = await startConnectProxy(t)
  await using viaUrl = new Session({ tls: { ...clientCert, ca }, proxy: proxy.url })
  t.equal(await shown(await viaUrl.get(origin)), CLIENT_X5T, 'proxy: url')
  t.equal(proxy.tunnels.length, 1, 'tunnelled')

  const saved = {
    HTTPS_PROXY: process.env.HTTPS_PROXY,
    NO_PROXY: process.env.NO_PROXY,
    no_proxy: process.env.no_proxy,
  }
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  process.env.HTTPS_PROXY = proxy.url
  delete process.env.NO_PROXY
  delete process.env.no_proxy
  await using viaEnv = new Session({ tls: { ...other, ca }, proxy: 'env' })
  t.equal(await shown(await viaEnv.get(origin)), certificateThumbprint(other.cert), "proxy: 'env'")
  t.equal(proxy.tunnels.length, 2, 'tunnelled through HTTPS_PROXY')
})

t.test('the option is checked strictly, and no message shows a key or passphrase', async t => {
  const bad: [string, unknown, RegExp][] = [
    [
      'not an object',
      'cert.pem',
      /option `tls` must be an object \{ cert, key, ca, passphrase \}, got a string/,
    ],
    ['an array', [clientCert.cert], /option `tls` must be an object/],
    ['a typo', { certs: clientCert.cert }, /unknown tls option `certs`: did you mean `cert`\?/],
    [
      'a number',
      { cert: 42, key: clientCert.key },
      /option `tls.cert` must be PEM text, a Buffer, or an array of them, got number/,
    ],
    ['an empty list', { cert: clientCert.cert, key: [] }, /`tls.key` .* got an empty array/],
    ['a list of other things', { ca: [ca, 1] }, /`tls.ca` .* got an array holding something else/],
    ['null', { ca: null }, /`tls.ca` .* got null/],
    ['no key', { cert: clientCert.cert }, /`cert` and `key` go together, got a certificate without its key/],
    ['no certificate', { key: other.key }, /got a key without a certificate/],
    ['a passphrase alone', { ca, passphrase: 'x' }, /`passphrase` decrypts `key`, but no key was given/],
    [
      'a passphrase not a string',
      { ...clientCert, passphrase: 7 },
      /option `tls.passphrase` must be a string, got 7/,
    ],
    [
      'the wrong passphrase',
      { ...clientCert, passphrase: 'the-wrong-passphrase' },
      /do not load into a TLS context \(.*bad decrypt\)/,
    ],
    ['no passphrase for an encrypted key', { cert: clientCert.cert, key: clientCert.key }, /bad decrypt/],
    ["another certificate's key", { cert: clientCert.cert, key: other.key }, /key values mismatch/],
    ['no PEM', { cert: 'not a certificate', key: 'not a key either' }, /do not load into a TLS context/],
  ]
  const keyLines = [clientCert.key, other.key].flatMap(pem =>
    pem.split('\n').filter(line => line.length > 40),
  )
  for (const [name, tls, message] of bad) {
    let error: unknown
    try {
      new Session({ tls: tls as never })
    } catch (err) {
      error = err
    }
    t.match(error, { code: 'ERR_OAUTH_INVALID_OPTION', message }, name)
    const text = `${(error as Error).message} ${inspect(error)}`
    t.notOk(
      ['the-wrong-passphrase', clientCert.passphrase, ...keyLines].some(secret => text.includes(secret)),
      `${name}: no secret in the error`,
    )
  }
  const dispatcher = new Agent()
  t.teardown(() => dispatcher.close())
  t.throws(() => new Session({ dispatcher, tls: { ca } }), {
    name: 'TypeError',
    message: 'options `dispatcher` and `tls` exclude each other',
  })
})

t.test('inspect and JSON never show the key or passphrase, the dispatcher included', async t => {
  await using client = new OAuth2Client({
    clientId: 'tls-client',
    tokenEndpointAuthMethod: 'tls_client_auth',
    tokenEndpoint: 'https://as.example.test/token',
    tls: { ...clientCert, ca },
  })
  const keyLines = clientCert.key.split('\n').filter(line => line.length > 40)
  const views = [
    inspect(client, { depth: Infinity, showHidden: true }),
    JSON.stringify(client),
    inspect(client.dispatcher, { depth: Infinity, showHidden: true }),
  ]
  for (const view of views) {
    t.notOk(view.includes(clientCert.passphrase), 'no passphrase')
    t.notOk(
      keyLines.some(line => view.includes(line)),
      'no key',
    )
  }
  t.match(views[0], /tokenEndpointAuthMethod: 'tls_client_auth'/)
})
