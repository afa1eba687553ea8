/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592) against the real oidc-provider,
 * with and without an initial access token: the registered client obtains tokens the resource
 * accepts; read, update (with a rotated registration access token) and delete work. The wire, the
 * retry rule and the error paths against a scripted loopback server.
 */
import t from 'tap'
import { InsecureTransportError, InvalidResponseError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import type { RegisteredClient } from '../../lib/oauth2/registration.js'
import { startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'
import { REDIRECT_URI, startProvider, startResource } from '../fixtures/provider.js'

const INITIAL_ACCESS_TOKEN = 'initial-access-token-0123456789'
const open = await startProvider({ registration: {} })
const guarded = await startProvider({ registration: { initialAccessToken: INITIAL_ACCESS_TOKEN } })
const none = await startProvider()
const openRs = await startResource(open.provider)
const guardedRs = await startResource(guarded.provider)
t.teardown(async () => {
  await openRs.close()
  await guardedRs.close()
  await Promise.all([open.close(), guarded.close(), none.close()])
})

/** A client configured from a registration, as the README shows. */
async function clientFor(issuer: string, registered: RegisteredClient): Promise<OAuth2Client> {
  const client = await OAuth2Client.discover(issuer, {
    clientId: registered.client_id,
    clientSecret: registered.client_secret,
    tokenEndpointAuthMethod: 'client_secret_post',
    redirectUri: REDIRECT_URI,
  })
  t.teardown(() => client.close())
  return client
}

t.test('open registration: register, obtain a token, read, update, delete', async t => {
  const registered = await OAuth2Client.register(open.issuer, {
    client_name: 'service one',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  })
  t.match(registered, {
    client_id: String,
    client_secret: String,
    client_name: 'service one',
    registration_access_token: String,
    registration_client_uri: `${open.urls.registration}/${registered.client_id}`,
  })
  const client = await clientFor(open.issuer, registered)
  await client.fetchToken()
  const { statusCode, body } = await client.get(`${openRs.url}/data`)
  t.equal(statusCode, 200, 'the resource accepts its token')
  t.match(await body.json(), { client: registered.client_id })

  t.match(await OAuth2Client.readRegistration(registered), {
    client_id: registered.client_id,
    client_name: 'service one',
  })
  const updated = await OAuth2Client.updateRegistration(registered, { ...registered, client_name: 'renamed' })
  t.equal(updated.client_name, 'renamed')
  t.equal(updated.client_id, registered.client_id)
  t.not(updated.registration_access_token, registered.registration_access_token, 'the token rotated')
  await t.rejects(
    OAuth2Client.readRegistration(registered),
    oauthError('invalid_token', { statusCode: 401 }),
    'the old registration access token is refused',
  )
  t.match(await OAuth2Client.readRegistration(updated), { client_name: 'renamed' })

  await OAuth2Client.deleteRegistration(updated)
  await t.rejects(client.fetchToken(), oauthError('invalid_client'), 'the deleted client gets no token')
  await t.rejects(OAuth2Client.readRegistration(updated), oauthError('invalid_token', { statusCode: 401 }))
})

t.test('registration with an initial access token, at the issuer or the endpoint itself', async t => {
  await t.rejects(
    OAuth2Client.register(guarded.issuer, { redirect_uris: [REDIRECT_URI] }),
    oauthError('invalid_token', { statusCode: 401 }),
    'refused without the token',
  )
  await t.rejects(
    OAuth2Client.register(guarded.issuer, { redirect_uris: [REDIRECT_URI] }, { initialAccessToken: 'wrong' }),
    oauthError('invalid_token', { statusCode: 401 }),
    'refused with a wrong token',
  )
  const metadata = {
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid api:read',
  }
  const registered = await OAuth2Client.register(guarded.issuer, metadata, {
    initialAccessToken: INITIAL_ACCESS_TOKEN,
  })
  // The registered client runs the code flow end to end.
  const client = await clientFor(guarded.issuer, registered)
  const request = client.createAuthorizationUrl(undefined, { scope: 'openid api:read' })
  const token = await client.fetchToken(undefined, {
    authorizationResponse: await guarded.driveAuthorization(request.url),
    state: request.state,
    codeVerifier: request.codeVerifier,
    nonce: request.nonce,
  })
  t.type(token.refresh_token, 'string')
  const { statusCode, body } = await client.get(`${guardedRs.url}/data`)
  t.equal(statusCode, 200)
  t.match(await body.json(), { client: registered.client_id, sub: 'alice' })

  const direct = await OAuth2Client.register(new URL(guarded.urls.registration), metadata, {
    initialAccessToken: INITIAL_ACCESS_TOKEN,
  })
  t.not(direct.client_id, registered.client_id, 'a URL without metadata is the endpoint itself')
  await OAuth2Client.deleteRegistration(direct)
  await OAuth2Client.deleteRegistration(registered)
})

t.test('the provider refuses bad metadata; a server without registration is named', async t => {
  await t.rejects(
    OAuth2Client.register(open.issuer, { redirect_uris: ['not a url'] }),
    oauthError('invalid_redirect_uri', { statusCode: 400, message: /registration endpoint answered 400/ }),
  )
  await t.rejects(OAuth2Client.register(none.issuer, { redirect_uris: [REDIRECT_URI] }), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: `register: the metadata of ${none.issuer} names no registration_endpoint (RFC 8414 §2): pass the endpoint itself`,
  })
})

t.test('scripted server: the JSON wire, the retry rule and the answers', async t => {
  type Seen = { method: string; url: string; type?: string; authorization?: string; body: string }
  const seen: Seen[] = []
  const answers: { status: number; body: unknown }[] = []
  const server = await startServer((req, res, body) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      type: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: body.toString(),
    })
    // Discovery finds nothing here: the URL is the registration endpoint itself.
    if (req.url!.includes('/.well-known/')) {
      res.writeHead(404).end()
      return
    }
    const answer = answers.shift() ?? { status: 500, body: 'no answer scripted' }
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(answer.status === 204 ? undefined : JSON.stringify(answer.body))
  })
  t.teardown(() => server.close())
  const endpoint = `${server.url}/register`
  const handle = {
    client_id: 'c1',
    client_secret: 's1',
    registration_client_uri: `${server.url}/register/c1`,
    registration_access_token: 'rat-0123456789abcdef',
    client_id_issued_at: 1,
    client_secret_expires_at: 0,
  }

  answers.push({ status: 201, body: handle })
  const registered = await OAuth2Client.register(
    endpoint,
    { client_name: 'x', redirect_uris: [REDIRECT_URI] },
    { initialAccessToken: 'iat-1', timeout: 5000 },
  )
  t.same(registered, handle)
  const posted = seen.at(-1)!
  t.same(
    { method: posted.method, url: posted.url, type: posted.type, authorization: posted.authorization },
    { method: 'POST', url: '/register', type: 'application/json', authorization: 'Bearer iat-1' },
  )
  t.same(JSON.parse(posted.body), { client_name: 'x', redirect_uris: [REDIRECT_URI] })
  // The short-lived client is closed: its connections end (bounded wait).
  for (let i = 0; i < 50 && server.openSockets.size > 0; i++) await new Promise(r => setTimeout(r, 20))
  t.equal(server.openSockets.size, 0, 'no connection left open')

  answers.push({ status: 200, body: { ...handle, client_name: 'y' } })
  await OAuth2Client.updateRegistration(handle, { ...handle, client_id: 'other', client_name: 'y' })
  const put = seen.at(-1)!
  t.same([put.method, put.url, put.authorization], ['PUT', '/register/c1', 'Bearer rat-0123456789abcdef'])
  t.same(
    JSON.parse(put.body),
    { client_id: 'c1', client_secret: 's1', client_name: 'y' },
    'the registration client_id, without the fields the server sets',
  )
  answers.push({ status: 204, body: undefined })
  await OAuth2Client.deleteRegistration(handle)
  t.same([seen.at(-1)!.method, seen.at(-1)!.body], ['DELETE', ''])

  // A registration POST that reached the server is not repeated (it would register twice) ...
  seen.length = 0
  answers.push({ status: 503, body: { error: 'temporarily_unavailable' } }, { status: 201, body: handle })
  await t.rejects(
    OAuth2Client.register(endpoint, {}, { tokenRetries: 2 }),
    oauthError('temporarily_unavailable', { statusCode: 503 }),
  )
  t.equal(seen.filter(s => s.method === 'POST').length, 1, 'one POST')
  answers.length = 0
  // ... while a read is.
  answers.push({ status: 503, body: {} }, { status: 200, body: handle })
  t.same(await OAuth2Client.readRegistration(handle), handle)
  t.equal(seen.filter(s => s.method === 'GET' && s.url === '/register/c1').length, 2, 'the GET was repeated')

  const invalid: unknown[] = [{ client_name: 'no id' }, { client_id: '' }, ['c1'], 'text']
  for (const body of invalid) {
    answers.push({ status: 200, body })
    await t.rejects(OAuth2Client.readRegistration(handle), InvalidResponseError, JSON.stringify(body))
  }
  // An error that echoes the registration access token does not repeat it.
  answers.push({
    status: 400,
    body: { error: 'invalid_client_metadata', error_description: `bad rat-0123456789abcdef` },
  })
  const err = await OAuth2Client.readRegistration(handle).catch((e: Error) => e)
  t.match(err, { error: 'invalid_client_metadata', statusCode: 400 })
  t.notMatch(err.message, /rat-0123456789abcdef/, 'redacted')
})

t.test('misuse is refused before any request', async t => {
  const handle = {
    client_id: 'c1',
    registration_client_uri: 'https://as.example/reg/c1',
    registration_access_token: 'rat',
  }
  await t.rejects(OAuth2Client.register('https://as.example', {}, { initialAcessToken: 'x' } as never), {
    name: 'TypeError',
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /unknown register option `initialAcessToken`: did you mean `initialAccessToken`/,
  })
  await t.rejects(OAuth2Client.register('https://as.example', {}, { initialAccessToken: 7 as never }), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /`initialAccessToken` must be a string/,
  })
  await t.rejects(OAuth2Client.register('http://as.example', {}), InsecureTransportError)
  await t.rejects(OAuth2Client.register('http://127.0.0.1:1', {}, { signal: AbortSignal.abort() }), {
    name: 'AbortError',
  })
  await t.rejects(
    OAuth2Client.readRegistration({ ...handle, registration_client_uri: 'http://as.example/r' }),
    InsecureTransportError,
  )
  await t.rejects(OAuth2Client.updateRegistration(handle, null as never), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /updateRegistration: the client metadata must be an object/,
  })
  await t.rejects(OAuth2Client.updateRegistration({ ...handle, client_id: 5 as never }, {}), {
    message: /updateRegistration: client_id` must be a string/,
  })
  await t.rejects(OAuth2Client.updateRegistration(handle, { client_secret: 5 }), {
    message: /client_secret` must be a string/,
  })
  for (const bad of [
    { client_id: 'c1', registration_access_token: 'rat' },
    { ...handle, registration_client_uri: 'relative/path' },
    { ...handle, registration_access_token: undefined },
  ]) {
    await t.rejects(OAuth2Client.deleteRegistration(bad), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
      message: /deleteRegistration: the registration needs registration_client_uri/,
    })
  }
  await t.rejects(OAuth2Client.readRegistration(null as never), {
    message: /readRegistration: pass the registered client/,
  })
  await t.rejects(OAuth2Client.register('https://as.example', [] as never), {
    message: /register: the client metadata must be an object/,
  })
})
