/**
 * Issue 4, acceptance 1 (and 5 for OAuth2Client): the documentation's seed snippets, translated,
 * against the real oidc-provider on 127.0.0.1 —
 *
 *   client = OAuth2Client('id', 'secret', token_endpoint_auth_method='client_secret_jwt')
 *   client.register_client_auth_method(ClientSecretJWT(token_endpoint))
 *   client.fetch_token(token_endpoint)
 *
 * and the same with private_key_jwt, PrivateKeyJWT and a PEM private key in place of the secret;
 * each with and without the explicit registration, then introspection and revocation with the same
 * method. The provider's own view of every request shows that no secret or key ever travels, in a
 * Basic header or in the body.
 */

import { createPrivateKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { inspect } from 'node:util'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { OAuthError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { ClientSecretJWT } from '../../lib/oauth2/client-secret-jwt.js'
import { PrivateKeyJWT } from '../../lib/oauth2/private-key-jwt.js'
import { oauthError } from '../fixtures/match.js'
import { CLIENT_PRIVATE_JWK, DEFAULT_CLIENTS, startProvider, startResource } from '../fixtures/provider.js'

const op = await startProvider()
const rs = await startResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})

const tokenEndpoint = op.urls.token
const { secretJwt, privateKeyJwt } = DEFAULT_CLIENTS
/** The fixture's client key as a PKCS#8 PEM file would hold it (`your-private-key.pem`). */
const privateKeyPem = createPrivateKey({ key: CLIENT_PRIVATE_JWK as JsonWebKey, format: 'jwk' })
  .export({ format: 'pem', type: 'pkcs8' })
  .toString()
/** The base64 body of the PEM, which is what a leak would show. */
const pemBody = privateKeyPem.split('\n').filter(line => line !== '' && !line.startsWith('-----'))

/**
 * Every request that went to the provider's token, introspection and revocation endpoints, exactly
 * as undici sent it (its `undici:request:create` diagnostics channel), so the clients below stay
 * exactly as the snippets write them. (The provider's own middleware stack is composed when it
 * starts, so it cannot be tapped afterwards.)
 */
interface Seen {
  route: string
  authorization: string | undefined
  rawBody: string
  body: URLSearchParams
}
const seen: Seen[] = []
const routes = new Map([
  [op.urls.token, 'token'],
  [op.urls.introspection, 'introspection'],
  [op.urls.revocation, 'revocation'],
])
interface UndiciRequest {
  origin: string
  path: string
  headers: string[]
  body: unknown
}
const record = (message: unknown) => {
  const { request } = message as { request: UndiciRequest }
  const route = routes.get(`${request.origin}${request.path.split('?')[0]}`)
  if (route === undefined) return
  let authorization: string | undefined
  for (let i = 0; i < request.headers.length; i += 2) {
    if (request.headers[i]!.toLowerCase() === 'authorization') authorization = request.headers[i + 1]
  }
  const rawBody = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : String(request.body)
  seen.push({ route, authorization, rawBody, body: new URLSearchParams(rawBody) })
}
diagnostics.subscribe('undici:request:create', record)
t.teardown(() => diagnostics.unsubscribe('undici:request:create', record))

interface Case {
  method: 'client_secret_jwt' | 'private_key_jwt'
  clientId: string
  clientSecret: string
  register: () => ClientSecretJWT | PrivateKeyJWT
  /** What must never be seen on the wire or in output. */
  secrets: string[]
}

const cases: Case[] = [
  {
    method: 'client_secret_jwt',
    clientId: secretJwt.client_id,
    clientSecret: secretJwt.client_secret,
    register: () => new ClientSecretJWT(tokenEndpoint),
    secrets: [secretJwt.client_secret],
  },
  {
    method: 'private_key_jwt',
    clientId: privateKeyJwt.client_id,
    clientSecret: privateKeyPem,
    register: () => new PrivateKeyJWT(tokenEndpoint),
    secrets: pemBody,
  },
]

/** The assertions a subtest offers that this helper uses. */
type Asserts = Pick<typeof t, 'same' | 'equal' | 'notOk'>

/** Checks what went on the wire: a JWT assertion on every call, and no Basic header or secret anywhere. */
function assertNoSecretSent(t: Asserts, c: Case, expected: string[]): void {
  t.same(
    seen.map(s => s.route),
    expected,
    'the endpoints called',
  )
  for (const s of seen) {
    t.equal(s.authorization, undefined, `${s.route}: no Authorization (Basic) header`)
    t.equal(s.body.get('client_secret'), null, `${s.route}: no client_secret in the body`)
    t.equal(
      s.body.get('client_assertion_type'),
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      `${s.route}: a JWT client assertion`,
    )
    const wire = decodeURIComponent(s.rawBody.replaceAll('+', ' '))
    t.notOk(
      c.secrets.some(secret => wire.includes(secret)),
      `${s.route}: the ${c.method} secret stays home`,
    )
  }
}

for (const c of cases) {
  for (const registered of [true, false]) {
    t.test(
      `${c.method} ${registered ? 'registered explicitly' : 'by default'}: the seed snippet`,
      async t => {
        seen.length = 0
        await using client = new OAuth2Client({
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          tokenEndpointAuthMethod: c.method,
        })
        if (registered) client.registerClientAuthMethod(c.register())
        const token = await client.fetchToken(tokenEndpoint)
        t.type(token.access_token, 'string')
        t.equal(token.token_type.toLowerCase(), 'bearer')

        const assertion = seen[0]!.body.get('client_assertion')!
        const claims = decodeJwt(assertion)
        t.match(claims, { iss: c.clientId, sub: c.clientId, aud: tokenEndpoint })
        t.equal(decodeProtectedHeader(assertion).alg, c.method === 'client_secret_jwt' ? 'HS256' : 'RS256')

        const { statusCode, body } = await client.get(`${rs.url}/data`)
        t.equal(statusCode, 200)
        t.match(await body.json(), { ok: true, client: c.clientId }, 'the token works at the resource')

        const active = await client.introspectToken(op.urls.introspection)
        t.match(active, { active: true, client_id: c.clientId }, 'introspection with the same method')
        await client.revokeToken(op.urls.revocation)
        t.same(await client.introspectToken(op.urls.introspection), { active: false }, 'revoked')

        assertNoSecretSent(t, c, ['token', 'introspection', 'revocation', 'introspection'])
        const jtis = seen.map(s => decodeJwt(s.body.get('client_assertion')!).jti)
        t.equal(new Set(jtis).size, 4, 'each call signed its own assertion')
      },
    )
  }

  t.test(`${c.method}: five token calls in a row carry five distinct jti`, async t => {
    for (const claims of [undefined, { jti: 'constant' }]) {
      op.counters.reset()
      await using client = new OAuth2Client({
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        tokenEndpointAuthMethod: c.method,
      })
      if (claims !== undefined) {
        const options = { claims }
        client.registerClientAuthMethod(
          c.method === 'client_secret_jwt'
            ? new ClientSecretJWT(tokenEndpoint, options)
            : new PrivateKeyJWT(tokenEndpoint, options),
        )
      }
      for (let i = 0; i < 5; i++) await client.fetchToken(tokenEndpoint)
      const jtis = op.counters.clientAssertions.map(assertion => decodeJwt(assertion).jti)
      t.equal(jtis.length, 5)
      t.equal(new Set(jtis).size, 5, `five distinct jti${claims ? ' although claims carry a jti' : ''}`)
      t.notOk(jtis.includes('constant'))
      t.same(op.counters.statuses, { 200: 5 }, 'no replay refused')
    }
  })
}

t.test('a wrong secret or key: invalid_client, with nothing secret in the error', async t => {
  const otherPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString()
  for (const [clientId, clientSecret, method] of [
    [secretJwt.client_id, 'not-the-secret-but-long-enough-0123456789abcdef', 'client_secret_jwt'],
    [privateKeyJwt.client_id, otherPem, 'private_key_jwt'],
  ] as const) {
    await using client = new OAuth2Client({ clientId, clientSecret, tokenEndpointAuthMethod: method })
    const err = await client.fetchToken(tokenEndpoint).catch((e: unknown) => e)
    t.ok(err instanceof OAuthError, method)
    t.match(err, { error: 'invalid_client', statusCode: 401 })
    const shown = `${(err as Error).message} ${inspect(err)}`
    const parts = clientSecret.split('\n').filter(line => line.length > 20 && !line.startsWith('-----'))
    t.notOk(
      parts.some(part => shown.includes(part)),
      'neither the secret nor any line of the key in the message or inspect',
    )
  }
})

t.test('inspect and JSON of a JWT-authenticated client show no secret, key or token', async t => {
  for (const c of cases) {
    seen.length = 0
    await using client = new OAuth2Client({
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      tokenEndpointAuthMethod: c.method,
      tokenEndpoint,
    })
    client.registerClientAuthMethod(c.register())
    await client.fetchToken()
    const shown = `${inspect(client, { depth: 10 })} ${JSON.stringify(client)}`
    for (const secret of [...c.secrets, client.token!.access_token, seen[0]!.body.get('client_assertion')!]) {
      t.notOk(shown.includes(secret), `${c.method}: not shown`)
    }
    t.match(shown, new RegExp(c.method))
  }
})

t.test('control: the recorder does see a Basic header when one is configured on purpose', async t => {
  seen.length = 0
  await using client = new OAuth2Client({
    clientId: secretJwt.client_id,
    clientSecret: secretJwt.client_secret,
    tokenEndpointAuthMethod: 'client_secret_jwt',
    revocationEndpointAuthMethod: 'client_secret_basic',
  })
  await client.fetchToken(tokenEndpoint)
  // The provider refuses: this client is registered for client_secret_jwt only.
  await t.rejects(client.revokeToken(op.urls.revocation), oauthError('invalid_client'))
  t.same(
    seen.map(s => [s.route, s.authorization?.split(' ')[0]]),
    [
      ['token', undefined],
      ['revocation', 'Basic'],
    ],
  )
})
