// The one endpoint path (lib/http/endpoint.ts), driven directly against a loopback server: each
// attempt built afresh and authenticated, the answer read and classified, discovery's 404 passed.
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { InsecureTransportError } from '../../lib/errors.js'
import { callEndpoint, type EndpointCall, type EndpointTransport } from '../../lib/http/endpoint.js'
import { assertSecureTransport } from '../../lib/http/transport.js'
import { startServer } from '../fixtures/http-server.js'

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  body: string
}

/** A server that answers with `answers` in turn (the last one repeated), and what it was sent. */
async function scripted(
  t: Test,
  answers: { status: number; body?: string; headers?: Record<string, string> }[],
  assertSecure: (url: URL) => void = url => assertSecureTransport(url, false),
) {
  const seen: Seen[] = []
  const server = await startServer((req, res, body) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
      body: body.toString('utf8'),
    })
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!
    res
      .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      .end(answer.body ?? '{}')
  })
  const agent = new Agent()
  const lifetime = new AbortController()
  t.teardown(async () => {
    await agent.close()
    await server.close()
  })
  const transport: EndpointTransport = {
    send: async (url, options) =>
      agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: options.method as 'GET' | 'POST',
        headers: options.headers as Record<string, string>,
        body: options.body as string | undefined,
      }),
    assertSecure,
    retries: 2,
    lifetime: lifetime.signal,
    timeout: 5_000,
  }
  const call = (extra: Partial<EndpointCall>) =>
    callEndpoint(transport, { label: 'token endpoint', url: new URL(`${server.url}/token`), ...extra })
  return { seen, call }
}

t.test('every attempt is built afresh and authenticated; the secrets of each are kept', async t => {
  const { seen, call } = await scripted(t, [
    { status: 503, headers: { 'retry-after': '0' } },
    { status: 200, body: '{"access_token":"a"}' },
  ])
  let n = 0
  const form = new URLSearchParams({ grant_type: 'client_credentials' })
  const result = await call({
    body: form,
    authenticate: attempt => {
      n++
      attempt.headers.authorization = `Basic ${Buffer.from(`id:secret${n}`).toString('base64')}`
      attempt.body!.set('assertion', `jwt${n}`)
    },
  })
  t.equal(seen.length, 2, 'the 503 was retried once')
  t.same(
    seen.map(s => s.body),
    ['grant_type=client_credentials&assertion=jwt1', 'grant_type=client_credentials&assertion=jwt2'],
  )
  t.equal(form.has('assertion'), false, "the caller's form is never changed")
  t.equal(result.response.statusCode, 200)
  t.equal(result.response.body, '{"access_token":"a"}')
  t.ok(result.sentAt > 0 && result.sentAt <= Date.now() / 1000, 'sentAt is epoch seconds')
  t.ok(result.sent.includes('secret1') && result.sent.includes('secret2') && result.sent.includes('jwt2'))
})

t.test(
  'a non-2xx answer becomes failure(...) with the endpoint URL and every secret; without failure it is returned',
  async t => {
    const { call } = await scripted(t, [{ status: 400, body: '{"error":"invalid_grant"}' }])
    const failed = call({
      body: new URLSearchParams({ code: 'c0de' }),
      secrets: ['held'],
      failure: (response, label, secrets, endpoint) =>
        new Error(`${label} ${endpoint.pathname} ${response.statusCode} ${[...secrets].join(',')}`),
    })
    await t.rejects(failed, { message: /^token endpoint \/token 400 c0de,held$/ })
    const returned = await call({ body: new URLSearchParams() })
    t.equal(returned.response.statusCode, 400, 'returned for the caller to classify (RFC 5849)')
    t.match(returned.response.body, /invalid_grant/)
  },
)

t.test('review sees the answer before it is classified', async t => {
  const { call } = await scripted(t, [{ status: 500, body: 'oops' }])
  const result = await call({
    review: response => ({ ...response, statusCode: 200, body: '{}' }),
    failure: () => new Error('not reached'),
  })
  t.equal(result.response.statusCode, 200)
})

t.test(
  'absentStatus is returned with its body discarded; a GET carries no body; retry false sends once',
  async t => {
    const { seen, call } = await scripted(t, [{ status: 404, body: 'not here' }])
    const result = await call({
      method: 'GET',
      absentStatus: 404,
      retry: false,
      failure: () => new Error('x'),
    })
    t.same(result.response, { statusCode: 404, headers: result.response.headers, body: '' })
    t.equal(seen[0]!.method, 'GET')
    t.equal(seen[0]!.body, '')
    const { seen: once, call: callOnce } = await scripted(t, [
      { status: 503, headers: { 'retry-after': '0' } },
    ])
    await callOnce({ retry: false })
    t.equal(once.length, 1)
  },
)

t.test(
  'the transport rule is checked before anything is sent, unless the call carries no credentials',
  async t => {
    const { seen, call } = await scripted(t, [{ status: 200 }])
    const insecure = new URL('http://as.example.test/token')
    await t.rejects(call({ url: insecure }), InsecureTransportError)
    t.equal(seen.length, 0)
    await call({ carriesCredentials: false })
    t.equal(seen.length, 1)
  },
)
