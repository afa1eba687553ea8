/**
 * Proves the oidc-provider fixture with plain undici requests, before any client exists: every
 * grant the client tests rely on, rotation, revocation, introspection, and the resource server.
 */
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { request } from 'undici'
import {
  DEFAULT_CLIENTS,
  REDIRECT_URI,
  startProvider,
  startResource,
  TEST_USER,
} from './fixtures/provider.js'

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

interface TokenResponse {
  access_token?: string
  refresh_token?: string
  token_type?: string
  expires_in?: number
  scope?: string
  error?: string
}

async function post(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: TokenResponse & Record<string, unknown> }> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(10_000),
  })
  return {
    status: response.statusCode,
    json: (await response.body.json()) as TokenResponse & Record<string, unknown>,
  }
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers, signal: AbortSignal.timeout(10_000) })
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (await response.body.json()) as Record<string, unknown>,
  }
}

const warnings: string[] = []
const warn = console.warn
console.warn = (...args: unknown[]) => {
  warnings.push(args.map(String).join(' '))
  warn.apply(console, args)
}
t.teardown(() => {
  console.warn = warn
})

t.test('the fixture', async t => {
  const op = await startProvider({ clientCredentialsTTL: 2 })
  t.teardown(() => op.close())
  const rs = await startResource(op.provider)
  t.teardown(() => rs.close())
  const { basic: basicClient, post: postClient, public: publicClient } = DEFAULT_CLIENTS

  t.test('binds to 127.0.0.1 and publishes its endpoints', async t => {
    t.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
    const { status, json } = await get(op.urls.discovery)
    t.equal(status, 200)
    t.equal(json['issuer'], op.issuer)
    t.equal(json['token_endpoint'], op.urls.token)
    t.equal(json['authorization_endpoint'], op.urls.authorization)
    t.equal(json['revocation_endpoint'], op.urls.revocation)
    t.equal(json['introspection_endpoint'], op.urls.introspection)
    t.equal(json['jwks_uri'], op.urls.jwks)
    t.ok((json['grant_types_supported'] as string[]).includes('password'))
  })

  t.test('client_credentials with client_secret_basic and client_secret_post', async t => {
    op.counters.reset()
    const viaBasic = await post(
      op.urls.token,
      { grant_type: 'client_credentials', scope: 'api:read' },
      { authorization: basic(basicClient.client_id, basicClient.client_secret) },
    )
    t.equal(viaBasic.status, 200)
    t.type(viaBasic.json.access_token, 'string')
    t.equal(viaBasic.json.token_type, 'Bearer')
    t.equal(viaBasic.json.expires_in, 2)
    t.equal(viaBasic.json.scope, 'api:read')

    const viaPost = await post(op.urls.token, {
      grant_type: 'client_credentials',
      client_id: postClient.client_id,
      client_secret: postClient.client_secret,
    })
    t.equal(viaPost.status, 200)
    t.type(viaPost.json.access_token, 'string')

    const wrong = await post(
      op.urls.token,
      { grant_type: 'client_credentials' },
      { authorization: basic(basicClient.client_id, 'wrong') },
    )
    t.equal(wrong.status, 401)
    t.equal(wrong.json.error, 'invalid_client')
    t.same(op.counters.byGrantType, { client_credentials: 3 })
    t.equal(op.counters.total(), 3)
    t.same(op.counters.statuses, { 200: 2, 401: 1 })

    const resource = await get(`${rs.url}/data`, { authorization: `Bearer ${viaBasic.json.access_token}` })
    t.equal(resource.status, 200)
    t.match(resource.json, { ok: true, client: basicClient.client_id, where: 'header' })

    // clientCredentialsTTL: 2 — the token dies on schedule and the resource says so.
    await new Promise(resolve => setTimeout(resolve, 2_200))
    const expired = await get(`${rs.url}/data`, { authorization: `Bearer ${viaBasic.json.access_token}` })
    t.equal(expired.status, 401)
    t.match(expired.headers['www-authenticate'], /error="invalid_token"/)
  })

  t.test('password grant: the fixed test user only', async t => {
    const ok = await post(
      op.urls.token,
      {
        grant_type: 'password',
        username: TEST_USER.username,
        password: TEST_USER.password,
        scope: 'api:read openid',
      },
      { authorization: basic(basicClient.client_id, basicClient.client_secret) },
    )
    t.equal(ok.status, 200)
    t.type(ok.json.access_token, 'string')
    t.type(ok.json.refresh_token, 'string')
    t.equal(ok.json.expires_in, 3600)
    const me = await get(`${rs.url}/me?access_token=${ok.json.access_token}`)
    t.match(me.json, { ok: true, sub: TEST_USER.username, where: 'query' })

    const refreshed = await post(
      op.urls.token,
      { grant_type: 'refresh_token', refresh_token: ok.json.refresh_token! },
      { authorization: basic(basicClient.client_id, basicClient.client_secret) },
    )
    t.equal(refreshed.status, 200, 'a password-grant refresh token refreshes')

    const bad = await post(
      op.urls.token,
      { grant_type: 'password', username: TEST_USER.username, password: 'nope' },
      { authorization: basic(basicClient.client_id, basicClient.client_secret) },
    )
    t.equal(bad.status, 400)
    t.equal(bad.json.error, 'invalid_grant')
  })

  t.test('authorization code + PKCE, refresh with rotation, revocation, introspection', async t => {
    op.counters.reset()
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const state = randomBytes(8).toString('hex')
    const authorize = new URL(op.urls.authorization)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: publicClient.client_id,
      redirect_uri: REDIRECT_URI,
      scope: 'openid api:read',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()

    const redirect = new URL(await op.driveAuthorization(authorize))
    t.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI)
    t.equal(redirect.searchParams.get('state'), state)
    const code = redirect.searchParams.get('code')
    t.type(code, 'string')

    const exchanged = await post(op.urls.token, {
      grant_type: 'authorization_code',
      client_id: publicClient.client_id,
      code: code!,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    })
    t.equal(exchanged.status, 200)
    t.type(exchanged.json.access_token, 'string')
    t.type(exchanged.json.refresh_token, 'string')
    t.type(exchanged.json['id_token'], 'string')
    t.match(exchanged.json.scope, /api:read/)

    const asBody = await request(`${rs.url}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${exchanged.json.access_token}`,
    })
    t.match(await asBody.body.json(), { ok: true, sub: TEST_USER.username, where: 'body' })

    // Rotation: each refresh returns a new refresh token; presenting a used one fails.
    const first = await post(op.urls.token, {
      grant_type: 'refresh_token',
      client_id: publicClient.client_id,
      refresh_token: exchanged.json.refresh_token!,
    })
    t.equal(first.status, 200)
    t.not(first.json.refresh_token, exchanged.json.refresh_token, 'rotated')
    t.same(op.counters.refreshTokensPresented, [exchanged.json.refresh_token])
    t.equal(op.counters.byGrantType['refresh_token'], 1)

    const introspect = (token: string) =>
      post(
        op.urls.introspection,
        { token },
        { authorization: basic(basicClient.client_id, basicClient.client_secret) },
      )
    const active = await introspect(first.json.access_token!)
    t.match(active.json, { active: true, client_id: publicClient.client_id, sub: TEST_USER.username })

    // Revoking the access token: the resource answers 401, introspection says inactive.
    const revoked = await request(op.urls.revocation, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: first.json.access_token!,
        client_id: publicClient.client_id,
      }).toString(),
    })
    await revoked.body.dump()
    t.equal(revoked.statusCode, 200)
    const after = await get(`${rs.url}/data`, { authorization: `Bearer ${first.json.access_token}` })
    t.equal(after.status, 401)
    t.equal(after.headers['www-authenticate'], 'Bearer realm="resource", error="invalid_token"')
    t.same((await introspect(first.json.access_token!)).json, { active: false })

    // Revoking the refresh token ends the grant: refresh fails.
    const revokeRefresh = await request(op.urls.revocation, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: first.json.refresh_token!,
        client_id: publicClient.client_id,
      }).toString(),
    })
    await revokeRefresh.body.dump()
    const afterRefreshRevoked = await post(op.urls.token, {
      grant_type: 'refresh_token',
      client_id: publicClient.client_id,
      refresh_token: first.json.refresh_token!,
    })
    t.equal(afterRefreshRevoked.json.error, 'invalid_grant')

    // Reuse of a rotated refresh token is detected (and revokes the grant).
    const reused = await post(op.urls.token, {
      grant_type: 'refresh_token',
      client_id: publicClient.client_id,
      refresh_token: exchanged.json.refresh_token!,
    })
    t.equal(reused.json.error, 'invalid_grant')
    t.equal(op.counters.refreshTokensPresented.length, 3)
  })

  t.test('a denied authorization redirects with access_denied', async t => {
    const authorize = new URL(op.urls.authorization)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: basicClient.client_id,
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'xyz',
    }).toString()
    const redirect = new URL(await op.driveAuthorization(authorize, { deny: true }))
    t.equal(redirect.searchParams.get('error'), 'access_denied')
    t.equal(redirect.searchParams.get('state'), 'xyz')
  })

  t.test('the resource server: missing, doubled and unknown tokens', async t => {
    const none = await get(`${rs.url}/x`)
    t.equal(none.status, 401)
    t.equal(none.headers['www-authenticate'], 'Bearer realm="resource"')
    const twice = await get(`${rs.url}/x?access_token=a`, { authorization: 'Bearer a' })
    t.equal(twice.status, 400)
    const unknown = await get(`${rs.url}/x`, { authorization: 'Bearer not-a-token' })
    t.equal(unknown.status, 401)
    t.ok(rs.counters.requests >= 3)
    t.ok(rs.counters.connections >= 1)
    t.ok(rs.counters.rejected >= 3)
  })
})

t.test('the provider printed no development warnings', async t => {
  t.same(
    warnings.filter(line => line.includes('oidc-provider WARNING')),
    [],
  )
})
