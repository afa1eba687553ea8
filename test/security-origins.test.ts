// Credentials reach only the origin they belong to, however a request is sent or redirected:
// each test runs a credentialed origin (API) and another one (OTHER) on loopback, both recording
// every request line, header and body, and checks what OTHER saw.
import { getEventListeners } from 'node:events'
import t, { type Test } from 'tap'
import { Agent, interceptors, fetch as undiciFetch, request as undiciRequest } from 'undici'
import { OAuth1Client } from '../lib/oauth1/client.js'
import { OAuth2Client } from '../lib/oauth2/client.js'
import { startConnectProxy } from './fixtures/connect-proxy.js'
import { ok, redirectTo, start } from './fixtures/recording-server.js'

const ACCESS = 'access-token-0123456789'
const REFRESH = 'refresh-token-0123456789'
const SECRET = 'client-secret-0123456789'
const OAUTH1_SECRET = 'consumer&secret/+0123456789'

/** An origin that the transport rule does not count as loopback, though its traffic stays on 127.0.0.1. */
function mappedOrigin(url: string): string {
  return url.replace('127.0.0.1', '[::ffff:127.0.0.1]')
}

async function origins(t: Test) {
  const api = await start({ respond: ok })
  const other = await start({ respond: ok })
  t.teardown(api.close)
  t.teardown(other.close)
  return { api, other }
}

function bearerClient(options: ConstructorParameters<typeof OAuth2Client>[0] = {}): OAuth2Client {
  return new OAuth2Client({
    clientId: 'app',
    clientSecret: SECRET,
    token: { access_token: ACCESS, token_type: 'Bearer', refresh_token: REFRESH, expires_in: 3600 },
    ...options,
  })
}

t.test('1. a path that begins with // or /\\ stays on the origin it was dispatched to', async t => {
  const { api, other } = await origins(t)
  const otherHost = new URL(other.url).host
  await using client = bearerClient({ baseUrl: `${api.url}/` })
  await using oauth1 = new OAuth1Client({
    clientId: 'key',
    clientSecret: OAUTH1_SECRET,
    token: 'oauth1-token-0123456789',
    tokenSecret: 'oauth1-token-secret',
  })
  for (const path of [`//${otherHost}/x`, `/\\${otherHost}/x`]) {
    // undici splits the URL into the API origin and this path.
    const viaDispatcher = await undiciRequest(`${api.url}${path}`, { dispatcher: client.dispatcher })
    await viaDispatcher.body.dump()
    const signed = await undiciRequest(`${api.url}${path}`, { dispatcher: oauth1.dispatcher })
    await signed.body.dump()
    // session.fetch dropped the token for such a path: it stays with the API origin, token included.
    const fetched = await client.fetch(`${api.url}${path}`)
    await fetched.text()
  }
  t.equal(other.seen.length, 0, 'the other origin received nothing')
  t.equal(api.seen.length, 6)
  for (const seen of api.seen) {
    t.match(
      seen.url,
      new RegExp(`^//${otherHost.replace(/[.[\]]/g, '\\$&')}/x$`),
      'the path arrives as a path',
    )
    t.ok(
      seen.headers.authorization === `Bearer ${ACCESS}` ||
        String(seen.headers.authorization).startsWith('OAuth '),
      'with its credentials',
    )
  }
  // With a base URL, a scheme-relative URL is refused before anything is sent.
  await t.rejects(client.get(`//${otherHost}/x`), { name: 'TypeError', message: /begins with '\/\/'/ })
  await t.rejects(client.get(`/\\${otherHost}/x`), TypeError)
  await t.rejects(client.fetch(`//${otherHost}/x`), TypeError)
  t.equal(other.seen.length, 0)
})

t.test(
  '2. undici fetch through session.dispatcher: no credentials after a cross-origin redirect',
  async t => {
    const { api, other } = await origins(t)
    api.respond((req, res) => {
      if (req.url === '/start') return redirectTo(302, () => `${other.url}/landing`)(req, res)
      res.end('api')
    })
    other.respond((req, res) => {
      if (req.url?.startsWith('/landing')) return redirectTo(307, () => `${api.url}/back`)(req, res)
      res.end('other')
    })
    await using client = bearerClient()
    const response = await undiciFetch(`${api.url}/start`, { dispatcher: client.dispatcher })
    await response.text()
    t.equal(api.seen[0]?.headers.authorization, `Bearer ${ACCESS}`, 'the first origin got the token')
    t.equal(other.seen.length, 1)
    t.equal(other.seen[0]?.headers.authorization, undefined, 'the other origin did not')
    // A chain that has left the first origin never gets credentials again, even back on it.
    t.equal(api.seen.length, 2)
    t.equal(api.seen[1]?.url, '/back')
    t.equal(api.seen[1]?.headers.authorization, undefined)
    // The caller's own next request is credentialed as ever.
    const again = await undiciFetch(`${api.url}/back`, { dispatcher: client.dispatcher })
    await again.text()
    t.equal(api.seen.at(-1)?.headers.authorization, `Bearer ${ACCESS}`)

    // The same through undici's redirect interceptor composed over the session's dispatcher.
    api.seen.length = 0
    other.seen.length = 0
    const composed = client.dispatcher.compose(interceptors.redirect({ maxRedirections: 3 }))
    const viaInterceptor = await undiciRequest(`${api.url}/start`, { dispatcher: composed })
    await viaInterceptor.body.dump()
    t.equal(api.seen[0]?.headers.authorization, `Bearer ${ACCESS}`)
    t.equal(other.seen[0]?.headers.authorization, undefined)
  },
)

t.test('3. token-endpoint calls never follow a redirect, whatever the dispatcher', async t => {
  const { api, other } = await origins(t)
  const following = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }))
  t.teardown(() => following.close())
  api.respond(redirectTo(307, () => `${other.url}/token`))
  other.respond((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ access_token: 'from-the-other-origin', token_type: 'Bearer', expires_in: 60 }))
  })
  await using client = bearerClient({
    dispatcher: following,
    tokenEndpoint: `${api.url}/token`,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  await t.rejects(client.refreshToken(), { code: 'ERR_OAUTH_INVALID_RESPONSE', statusCode: 307 })
  await t.rejects(client.fetchToken(undefined, { username: 'alice', password: 'wonderland-0123' }), {
    code: 'ERR_OAUTH_INVALID_RESPONSE',
    statusCode: 307,
  })
  t.equal(other.seen.length, 0, 'neither the client secret nor the refresh token nor the password left')
  t.equal(client.token?.access_token, ACCESS, 'no token from the other origin was adopted')
  t.equal(api.seen.length, 2)
  t.ok(api.received(SECRET) && api.received(REFRESH))
})

t.test('3. credentials in a body are never replayed to another origin', async t => {
  const { api, other } = await origins(t)
  const following = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }))
  t.teardown(() => following.close())
  api.respond(redirectTo(307, () => `${other.url}/moved`))
  await using bodyClient = bearerClient({ dispatcher: following, tokenPlacement: 'body' })
  await using plaintext = new OAuth1Client({
    clientId: 'key',
    clientSecret: OAUTH1_SECRET,
    token: 'oauth1-token-0123456789',
    tokenSecret: 'token-secret-0123456789',
    signatureMethod: 'PLAINTEXT',
    signatureType: 'body',
    dispatcher: following,
  })
  for (const client of [bodyClient, plaintext]) {
    const { statusCode, body } = await client.post(`${api.url}/resource`, { form: { a: '1' } })
    await body.dump()
    t.equal(statusCode, 307, 'the redirect is returned, not followed by the dispatcher underneath')
    // The same through session.dispatcher, which a caller may use with any undici API.
    const viaDispatcher = await undiciRequest(`${api.url}/resource`, {
      dispatcher: client.dispatcher,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    })
    await viaDispatcher.body.dump()
    t.equal(viaDispatcher.statusCode, 307)
  }
  // The session's own redirects (maxRedirections) re-send the form without the credentials.
  await using following2 = bearerClient({ tokenPlacement: 'body', maxRedirections: 2 })
  const followed = await following2.post(`${api.url}/resource`, { form: { a: '1' } })
  await followed.body.dump()
  t.equal(other.seen.length, 1)
  t.equal(other.seen[0]?.body, 'a=1')
  t.notOk(other.received(ACCESS) || other.received('token-secret') || other.received('secret%26'))
  t.ok(api.received(ACCESS))
})

t.test('8. the transport rule holds after the protected_request hook rewrote the URL', async t => {
  const { api, other } = await origins(t)
  await using client = bearerClient()
  client.registerComplianceHook('protected_request', request => ({
    ...request,
    url: `${mappedOrigin(other.url)}/x`,
  }))
  await t.rejects(client.get(`${api.url}/x`), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  const viaDispatcher = undiciRequest(`${api.url}/x`, { dispatcher: client.dispatcher })
  await t.rejects(viaDispatcher, { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  t.equal(other.seen.length + api.seen.length, 0, 'nothing was sent anywhere')
})

t.test('8. http:// to a loopback host through a proxy is not loopback: the token stays home', async t => {
  const { api } = await origins(t)
  const proxy = await startConnectProxy(t)
  await using proxied = bearerClient({ proxy: proxy.url })
  await t.rejects(proxied.get(`${api.url.replace('127.0.0.1', 'localhost')}/x`), {
    code: 'ERR_OAUTH_INSECURE_TRANSPORT',
    message: /through a proxy/,
  })
  await t.rejects(proxied.refreshToken(`${api.url}/token`), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  t.notOk(proxy.relayed().includes(ACCESS), 'the proxy never saw the token')
  t.equal(api.seen.length, 0)
  // Requests without credentials still go through the proxy, and allowInsecureTransport opts in.
  const plain = await proxied.get(`${api.url}/public`, { withholdToken: true })
  await plain.body.dump()
  await using optedIn = bearerClient({ proxy: proxy.url, allowInsecureTransport: true })
  const sent = await optedIn.get(`${api.url}/x`)
  await sent.body.dump()
  t.equal(api.seen.length, 2)
  t.ok(proxy.relayed().includes(ACCESS), 'opted in: the proxy relays it (and could read it)')
})

t.test('8. proxy: "env" counts as a proxy for http:// only when HTTP_PROXY is set', async t => {
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy }
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  const { api } = await origins(t)
  delete process.env.HTTP_PROXY
  delete process.env.http_proxy
  await using direct = bearerClient({ proxy: 'env' })
  const response = await direct.get(`${api.url}/x`)
  await response.body.dump()
  t.equal(api.seen[0]?.headers.authorization, `Bearer ${ACCESS}`)
  const proxy = await startConnectProxy(t)
  process.env.HTTP_PROXY = proxy.url
  await using viaProxy = bearerClient({ proxy: 'env' })
  await t.rejects(viaProxy.get(`${api.url}/x`), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  t.equal(api.seen.length, 1)
})

t.test('10. destroy() ends a token call waiting out a Retry-After backoff at once', async t => {
  const { api } = await origins(t)
  api.respond((_req, res) => {
    res.statusCode = 503
    res.setHeader('retry-after', '20')
    res.end()
  })
  const client = new OAuth2Client({
    clientId: 'app',
    clientSecret: SECRET,
    tokenEndpoint: `${api.url}/token`,
    timeout: 60_000,
  })
  const started = Date.now()
  // A client-credentials grant: repeated after a 503 (a refresh-token grant never is).
  const refreshing = client.fetchToken()
  while (api.seen.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
  await new Promise(resolve => setTimeout(resolve, 50))
  const outcome = refreshing.then(
    () => undefined,
    (err: unknown) => err,
  )
  await client.destroy()
  t.match(await outcome, { code: 'ERR_OAUTH_CLIENT_CLOSED' })
  // The backoff was 20 s: rejecting well before it shows the wait was cut short.
  t.ok(Date.now() - started < 10_000, `rejected after ${Date.now() - started} ms`)
  t.equal(api.seen.length, 1, 'no second attempt')
})

t.test('11. explicit token calls sharing one signal add one abort listener to it', async t => {
  const { api } = await origins(t)
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => {
    release = resolve
  })
  api.respond(async (_req, res) => {
    await gate
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ access_token: `new-${Math.random()}`, token_type: 'Bearer', expires_in: 3600 }))
  })
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  await using client = bearerClient({ tokenEndpoint: `${api.url}/token` })
  const controller = new AbortController()
  const calls = Array.from({ length: 50 }, () =>
    client.refreshToken(undefined, { signal: controller.signal }),
  )
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(getEventListeners(controller.signal, 'abort').length, 1, 'one listener while 50 calls wait')
  release()
  const tokens = await Promise.all(calls)
  t.equal(tokens.length, 50)
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'none once they are done')
  await new Promise(resolve => setImmediate(resolve))
  t.same(
    warnings.filter(w => w.name === 'MaxListenersExceededWarning'),
    [],
  )
})

t.test('12. tokenPlacement uri: access_token is stripped on any cross-origin hop', async t => {
  const { api, other } = await origins(t)
  // A server that redirects with the query it received, token included.
  api.respond(redirectTo(302, target => `${other.url}/landing${target.slice(target.indexOf('?'))}`))
  await using client = bearerClient({ tokenPlacement: 'uri', maxRedirections: 2 })
  const viaRequest = await client.get(`${api.url}/start`, { query: { q: 'kept' } })
  await viaRequest.body.dump()
  const viaFetch = await client.fetch(`${api.url}/start?q=kept`)
  await viaFetch.text()
  const viaDispatcher = await undiciFetch(`${api.url}/start?q=kept`, { dispatcher: client.dispatcher })
  await viaDispatcher.text()
  t.equal(api.seen.length, 3)
  for (const seen of api.seen) t.ok(seen.url.includes(`access_token=${ACCESS}`), 'the API got the token')
  t.equal(other.seen.length, 3)
  for (const seen of other.seen) t.equal(seen.url, '/landing?q=kept', 'the other origin did not')
})

t.test('a caller Host header does not follow a redirect to another origin', async t => {
  const { api, other } = await origins(t)
  api.respond(redirectTo(302, () => `${other.url}/landing`))
  await using client = bearerClient({ maxRedirections: 1 })
  const response = await client.get(`${api.url}/start`, { headers: { host: 'api.example' } })
  await response.body.dump()
  t.equal(api.seen[0]?.headers.host, 'api.example')
  t.equal(other.seen[0]?.headers.host, new URL(other.url).host)
})
