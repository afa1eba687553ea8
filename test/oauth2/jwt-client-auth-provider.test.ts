/**
 * The real oidc-provider accepts the assertions of ClientSecretJWT and PrivateKeyJWT (RFC 7523 §2.2)
 * at its token, introspection and revocation endpoints. Plain undici requests: the OAuth2Client
 * integration is tested with the client.
 */
import { createPrivateKey, type JsonWebKey } from 'node:crypto'
import { decodeJwt } from 'jose'
import t from 'tap'
import { request } from 'undici'
import type {
  ClientAuthMethod,
  ClientAuthRequest,
  ClientCredentials,
} from '../../lib/oauth2/client-auth-method.js'
import { ClientSecretJWT } from '../../lib/oauth2/client-secret-jwt.js'
import { PrivateKeyJWT } from '../../lib/oauth2/private-key-jwt.js'
import { CLIENT_PRIVATE_JWK, DEFAULT_CLIENTS, startProvider } from '../fixtures/provider.js'

const { secretJwt, privateKeyJwt } = DEFAULT_CLIENTS

/** Sends one form POST authenticated by `method`, as a client would. */
async function call(
  url: string,
  method: ClientAuthMethod,
  clientId: string,
  clientSecret: ClientCredentials['clientSecret'],
  form: Record<string, string>,
) {
  const prepared: ClientAuthRequest = {
    method: 'POST',
    url: new URL(url),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  }
  await method.authenticate(prepared, { clientId, clientSecret })
  const response = await request(prepared.url, {
    method: 'POST',
    headers: prepared.headers,
    body: prepared.body.toString(),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.body.text()
  return {
    status: response.statusCode,
    json: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    assertion: prepared.body.get('client_assertion')!,
  }
}

t.test('oidc-provider accepts client_secret_jwt and private_key_jwt assertions', async t => {
  const op = await startProvider()
  t.teardown(() => op.close())
  const pkcs1 = createPrivateKey({ key: CLIENT_PRIVATE_JWK as JsonWebKey, format: 'jwk' })
    .export({ format: 'pem', type: 'pkcs1' })
    .toString()

  t.test('client_secret_jwt, HS256 and HS512, with and without a configured token endpoint', async t => {
    for (const method of [
      new ClientSecretJWT(op.urls.token),
      new ClientSecretJWT(op.urls.token, { alg: 'HS512' }),
      new ClientSecretJWT(),
    ]) {
      const { status, json } = await call(
        op.urls.token,
        method,
        secretJwt.client_id,
        secretJwt.client_secret,
        {
          grant_type: 'client_credentials',
          scope: 'api:read',
        },
      )
      t.equal(status, 200, `${method.alg} accepted`)
      t.type(json['access_token'], 'string')
    }
    const wrong = await call(
      op.urls.token,
      new ClientSecretJWT(op.urls.token),
      secretJwt.client_id,
      'not-the-secret',
      {
        grant_type: 'client_credentials',
      },
    )
    t.equal(wrong.status, 401)
    t.equal(wrong.json['error'], 'invalid_client')
  })

  t.test('private_key_jwt with a PKCS#1 PEM, a JWK, the key as client secret, and PS256', async t => {
    const cases: [string, PrivateKeyJWT, ClientCredentials['clientSecret']][] = [
      ['PKCS#1 PEM option', new PrivateKeyJWT(op.urls.token, { key: pkcs1 }), undefined],
      [
        'JWK option (kid from the JWK)',
        new PrivateKeyJWT(op.urls.token, { key: CLIENT_PRIVATE_JWK }),
        undefined,
      ],
      ['PEM as client secret', new PrivateKeyJWT(op.urls.token), pkcs1],
      ['PS256, aud = URL called', new PrivateKeyJWT(undefined, { alg: 'PS256', key: pkcs1 }), undefined],
    ]
    for (const [what, method, clientSecret] of cases) {
      const { status, json } = await call(op.urls.token, method, privateKeyJwt.client_id, clientSecret, {
        grant_type: 'client_credentials',
      })
      t.equal(status, 200, what)
      t.type(json['access_token'], 'string')
    }
  })

  t.test('five token calls carry five distinct jti; a replayed assertion is refused', async t => {
    op.counters.reset()
    const method = new PrivateKeyJWT(op.urls.token, { key: CLIENT_PRIVATE_JWK, claims: { jti: 'constant' } })
    let last = ''
    for (let i = 0; i < 5; i++) {
      const { status, assertion } = await call(op.urls.token, method, privateKeyJwt.client_id, undefined, {
        grant_type: 'client_credentials',
      })
      t.equal(status, 200)
      last = assertion
    }
    const jtis = op.counters.clientAssertions.map(assertion => decodeJwt(assertion).jti)
    t.equal(jtis.length, 5)
    t.equal(new Set(jtis).size, 5)
    t.notOk(jtis.includes('constant'))

    const replay = await request(op.urls.token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: privateKeyJwt.client_id,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: last,
      }).toString(),
    })
    t.equal(replay.statusCode, 401)
    t.match(await replay.body.json(), { error: 'invalid_client' })
  })

  t.test('introspection and revocation authenticate with the same methods', async t => {
    for (const [clientId, method, clientSecret] of [
      [secretJwt.client_id, new ClientSecretJWT(op.urls.token), secretJwt.client_secret],
      [privateKeyJwt.client_id, new PrivateKeyJWT(undefined, { key: pkcs1 }), undefined],
    ] as const) {
      const token = await call(op.urls.token, method, clientId, clientSecret, {
        grant_type: 'client_credentials',
      })
      const accessToken = token.json['access_token'] as string
      const active = await call(op.urls.introspection, method, clientId, clientSecret, { token: accessToken })
      t.equal(active.status, 200)
      t.match(active.json, { active: true, client_id: clientId })
      const revoked = await call(op.urls.revocation, method, clientId, clientSecret, { token: accessToken })
      t.equal(revoked.status, 200)
      const inactive = await call(op.urls.introspection, method, clientId, clientSecret, {
        token: accessToken,
      })
      t.same(inactive.json, { active: false })
    }
  })
})
