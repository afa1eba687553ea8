/**
 * Token exchange (RFC 8693) against the real oidc-provider with a token-exchange grant that
 * validates the subject token by introspection; argument checks and malformed answers against a
 * scripted loopback server.
 */
import t from 'tap'
import { ClientClosedError, InvalidResponseError, OAuthError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { TOKEN_EXCHANGE_GRANT_TYPE, TOKEN_TYPES } from '../../lib/oauth2/token-exchange.js'
import { startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'
import {
  DEFAULT_CLIENTS,
  EXCHANGE_CLIENT,
  startProvider,
  startResource,
  TEST_USER,
} from '../fixtures/provider.js'

const op = await startProvider({ tokenExchange: true })
const rs = await startResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})

/** An access token of alice's, issued to another client: the subject token. */
async function userToken(): Promise<string> {
  await using user = new OAuth2Client({
    clientId: DEFAULT_CLIENTS.basic.client_id,
    clientSecret: DEFAULT_CLIENTS.basic.client_secret,
    tokenEndpoint: op.urls.token,
  })
  const token = await user.fetchToken(undefined, { ...TEST_USER, scope: 'api:read api:write' })
  return token.access_token
}

function exchanger(options: { updateToken?: (token: OAuth2Token) => void } = {}): OAuth2Client {
  const client = new OAuth2Client({
    clientId: EXCHANGE_CLIENT.client_id,
    clientSecret: EXCHANGE_CLIENT.client_secret,
    tokenEndpoint: op.urls.token,
    ...options,
  })
  t.teardown(() => client.close())
  return client
}

async function atResource(accessToken: string): Promise<{ status: number; json: Record<string, unknown> }> {
  await using caller = new OAuth2Client({ token: { access_token: accessToken, token_type: 'Bearer' } })
  const { statusCode, body } = await caller.get(`${rs.url}/orders`)
  return { status: statusCode, json: (await body.json()) as Record<string, unknown> }
}

t.test('the exchanged token works at the resource; the client keeps its own token', async t => {
  const client = exchanger()
  const issued = await client.exchangeToken({
    subjectToken: await userToken(),
    subjectTokenType: TOKEN_TYPES.accessToken,
    requestedTokenType: TOKEN_TYPES.accessToken,
    audience: ['orders', 'billing'],
    resource: 'https://orders.example/',
    scope: 'api:read',
  })
  t.equal(issued.issued_token_type, TOKEN_TYPES.accessToken)
  t.equal(issued.token_type, 'Bearer')
  t.equal(issued.scope, 'api:read', 'narrowed to the scope asked for')
  t.equal(client.token, undefined, 'not stored without replaceToken')
  t.match(await atResource(issued.access_token), {
    status: 200,
    json: { ok: true, sub: 'alice', client: EXCHANGE_CLIENT.client_id, scope: 'api:read' },
  })
  t.same(op.exchanges.at(-1), {
    subject_token_type: TOKEN_TYPES.accessToken,
    requested_token_type: TOKEN_TYPES.accessToken,
    actor_token: undefined,
    actor_token_type: undefined,
    audience: ['orders', 'billing'],
    resource: 'https://orders.example/',
    scope: 'api:read',
  })
})

t.test("replaceToken: the issued token becomes the client's own, and updateToken sees it", async t => {
  const updates: OAuth2Token[] = []
  const client = exchanger({ updateToken: token => void updates.push(token) })
  const issued = await client.exchangeToken({
    subjectToken: await userToken(),
    subjectTokenType: TOKEN_TYPES.accessToken,
    actorToken: 'actor.jwt.value',
    actorTokenType: TOKEN_TYPES.jwt,
    replaceToken: true,
  })
  t.equal(client.token?.access_token, issued.access_token)
  t.ok(client.token?.expires_at, 'expires_at computed as for any token')
  t.same(updates, [client.token])
  t.match(op.exchanges.at(-1), { actor_token: 'actor.jwt.value', actor_token_type: TOKEN_TYPES.jwt })
  const { statusCode, body } = await client.get(`${rs.url}/orders`)
  t.equal(statusCode, 200)
  t.match(await body.json(), { sub: 'alice', scope: 'api:read api:write' })
})

t.test('error answers become OAuthErrors with their fields', async t => {
  const client = exchanger()
  await t.rejects(
    client.exchangeToken({ subjectToken: 'not-a-token', subjectTokenType: TOKEN_TYPES.accessToken }),
    oauthError('invalid_grant', {
      constructor: OAuthError,
      statusCode: 400,
      // oidc-provider keeps the detail of an invalid_grant to its logs.
      description: 'grant request is invalid',
    }),
  )
  await t.rejects(
    client.exchangeToken({ subjectToken: await userToken(), subjectTokenType: TOKEN_TYPES.idToken }),
    oauthError('invalid_request', { statusCode: 400, description: /subject_token must be an access token/ }),
  )
  await using stranger = new OAuth2Client({
    clientId: DEFAULT_CLIENTS.basic.client_id,
    clientSecret: DEFAULT_CLIENTS.basic.client_secret,
    tokenEndpoint: op.urls.token,
  })
  await t.rejects(
    stranger.exchangeToken({ subjectToken: 'x', subjectTokenType: TOKEN_TYPES.accessToken }),
    oauthError(/invalid_request|unauthorized_client/ as unknown as string, { statusCode: 400 }),
    'a client not allowed the grant is refused by the server',
  )
})

t.test('arguments are checked before anything is sent; malformed answers are refused', async t => {
  let requests = 0
  let answer: Record<string, unknown> = {}
  let form = new URLSearchParams()
  const server = await startServer((_req, res, body) => {
    requests++
    form = new URLSearchParams(body.toString())
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer))
  })
  t.teardown(server.close)
  await using client = new OAuth2Client({ clientId: 'c', tokenEndpoint: `${server.url}/token` })
  const subject = { subjectToken: 's', subjectTokenType: TOKEN_TYPES.accessToken } as const
  const invalid: [unknown, RegExp][] = [
    [undefined, /exchangeToken parameters/],
    [{ subjectTokenType: TOKEN_TYPES.accessToken }, /`subjectToken` must be a non-empty string/],
    [{ subjectToken: 's' }, /`subjectTokenType` must be a non-empty string/],
    [{ ...subject, actorToken: 'a' }, /`actorTokenType` must be given with `actorToken`/],
    [{ ...subject, actorTokenType: TOKEN_TYPES.jwt }, /`actorToken` must be given with `actorTokenType`/],
    [{ ...subject, audience: 7 }, /`audience` must be a string or an array/],
    [{ ...subject, resource: 'not a uri' }, /`resource` must be an absolute URI/],
    [{ ...subject, subject_token: 's' }, /subject_token.*subjectToken/],
    [{ ...subject, extraParams: { subject_token: 'x' } }, /extraParams.subject_token/],
  ]
  for (const [params, message] of invalid) {
    await t.rejects(client.exchangeToken(params as never), { name: 'TypeError', message }, String(message))
  }
  t.equal(requests, 0, 'nothing was sent')

  answer = { access_token: 'issued', issued_token_type: TOKEN_TYPES.jwt, token_type: 'N_A' }
  const issued = await client.exchangeToken({ ...subject, scope: ['a', 'b'], extraParams: { x: 'y' } })
  t.same(issued, answer, 'a token that is no access token comes back as issued (token_type N_A)')
  t.same(Object.fromEntries(form), {
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    scope: 'a b',
    subject_token: 's',
    subject_token_type: TOKEN_TYPES.accessToken,
    client_id: 'c',
    x: 'y',
  })
  await t.rejects(client.exchangeToken({ ...subject, replaceToken: true }), {
    constructor: InvalidResponseError,
    message: /cannot be the client's own: token_type must be Bearer/,
  })
  t.equal(client.token, undefined, 'and it is not stored')
  for (const missing of ['access_token', 'issued_token_type', 'token_type']) {
    answer = {
      access_token: 'issued',
      issued_token_type: TOKEN_TYPES.jwt,
      token_type: 'N_A',
      [missing]: undefined,
    }
    await t.rejects(client.exchangeToken(subject), {
      constructor: InvalidResponseError,
      message: new RegExp(`${missing} is missing`),
    })
  }
  await client.close()
  await t.rejects(client.exchangeToken(subject), ClientClosedError)
})
