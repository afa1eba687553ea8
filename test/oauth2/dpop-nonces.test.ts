/**
 * RFC 9449 §9 resource nonces and §4.2 fresh proofs, against the proof-checking resource fixture
 * with a DPoP-bound token from the real oidc-provider (DPoP on, nonces required): 100 concurrent
 * requests meeting a new nonce are each repeated once and all succeed; a nonce rotating every N
 * requests keeps working; a resource that asks for a nonce forever gets exactly one repeat per
 * request, then its 401 is returned; 10,000 requests carry 10,000 distinct jti.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { DIAGNOSTICS_CHANNELS } from '../../lib/diagnostics/channels.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import {
  type DpopResource,
  type DpopResourceOptions,
  introspectAt,
  startDpopResource,
} from '../fixtures/dpop-resource.js'
import { DEFAULT_CLIENTS, startProvider } from '../fixtures/provider.js'

const op = await startProvider({ dpop: true })
const basic = DEFAULT_CLIENTS.basic
const introspect = introspectAt(op.urls.introspection, basic.client_id, basic.client_secret)
t.teardown(() => op.close())

function dpopClient(t: Test): OAuth2Client {
  const client = new OAuth2Client({
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    tokenEndpoint: op.urls.token,
    grantType: 'client_credentials',
    scope: 'api:read',
    dpop: true,
  })
  t.teardown(() => client.close())
  return client
}

async function resource(t: Test, options: Omit<DpopResourceOptions, 'introspect'>): Promise<DpopResource> {
  const rs = await startDpopResource({ introspect, ...options })
  t.teardown(() => rs.close())
  return rs
}

async function status(response: Promise<{ statusCode: number; body: { dump(): Promise<unknown> } }>) {
  const { statusCode, body } = await response
  await body.dump()
  return statusCode
}

t.test('100 concurrent requests meeting a new nonce: each repeated once, all succeed', async t => {
  const rs = await resource(t, {})
  const client = dpopClient(t)
  t.equal(await status(client.get(`${rs.url}/warm`)), 200, 'warm-up learns the nonce')
  rs.reset()
  rs.demandNewNonce()
  const statuses = await Promise.all(
    Array.from({ length: 100 }, (_, i) => status(client.get(`${rs.url}/item/${i}`))),
  )
  t.same(new Set(statuses), new Set([200]), 'all 100 succeed')
  t.equal(rs.counters.accepted, 100)
  t.equal(rs.counters.nonceChallenges, 100, 'each sent with the old nonce once, then repeated once')
  t.same(rs.counters.refused, {})
  t.equal(rs.counters.jtis.size, 200, 'every attempt a fresh proof')
})

t.test('a nonce rotating every 7 requests keeps working, one repeat per rotation', async t => {
  const rs = await resource(t, { rotateEvery: 7 })
  const client = dpopClient(t)
  for (let i = 0; i < 50; i++) t.equal(await status(client.get(`${rs.url}/r/${i}`)), 200, `request ${i}`)
  t.equal(rs.counters.accepted, 50)
  // One challenge for the first nonce, then one per rotation (after 7, 14, ..., 49 accepted).
  t.equal(rs.counters.nonceChallenges, 1 + Math.floor(49 / 7))
  t.same(rs.counters.refused, {})
})

t.test('a nonce announced on every answer is used without a challenge', async t => {
  const rs = await resource(t, { rotateEvery: 3, announceNonce: true })
  const client = dpopClient(t)
  for (let i = 0; i < 20; i++) t.equal(await status(client.get(`${rs.url}/a/${i}`)), 200)
  t.equal(rs.counters.nonceChallenges, 1, 'only the very first request met a challenge')
})

t.test('use_dpop_nonce forever: exactly one repeat per request, then the 401', async t => {
  const rs = await resource(t, { nonceForever: true })
  const client = dpopClient(t)
  const retries: unknown[] = []
  const listen = (message: unknown) => retries.push(message)
  subscribe(DIAGNOSTICS_CHANNELS.dpopNonceRetry, listen)
  t.teardown(() => unsubscribe(DIAGNOSTICS_CHANNELS.dpopNonceRetry, listen))
  for (let i = 0; i < 10; i++) {
    const { statusCode, headers, body } = await client.get(`${rs.url}/never`)
    await body.dump()
    t.equal(statusCode, 401)
    t.match(headers['www-authenticate'], /error="use_dpop_nonce"/)
  }
  t.equal(rs.counters.nonceChallenges, 20, 'two attempts per request, never more')
  t.equal(rs.counters.accepted, 0)
  // The diagnostics channel names each repeat, never the nonce: the token endpoint's one (its
  // first request has no nonce yet) and one per resource request.
  const resourceOrigin = new URL(rs.url).origin
  const expected = [
    {
      server: 'authorization',
      method: 'POST',
      origin: new URL(op.urls.token).origin,
      path: new URL(op.urls.token).pathname,
    },
    ...Array.from({ length: 10 }, () => ({
      server: 'resource',
      method: 'GET',
      origin: resourceOrigin,
      path: '/never',
    })),
  ]
  t.match(retries, expected)
  t.equal(retries.length, 11)
  t.notMatch(JSON.stringify(retries), /nonce"/, 'no nonce value in the messages')
  // A body that cannot be sent twice is not repeated: the 401 comes back at once.
  rs.reset()
  const streamed = await client.post(`${rs.url}/never`, { body: Readable.from(['x']) })
  await streamed.body.dump()
  t.equal(streamed.statusCode, 401)
  t.equal(rs.counters.nonceChallenges, 1, 'a streamed body: one attempt')
  t.equal(retries.length, 11, 'a request not repeated publishes no retry')
})

t.test('fetch and the dispatcher learn the nonce for the next request', async t => {
  const rs = await resource(t, {})
  const client = dpopClient(t)
  const first = await client.fetch(`${rs.url}/f`)
  await first.arrayBuffer()
  t.equal(first.status, 401, 'fetch is not repeated: its first answer is returned')
  const second = await client.fetch(`${rs.url}/f`)
  await second.arrayBuffer()
  t.equal(second.status, 200, 'the next fetch carries the nonce learned')
  rs.demandNewNonce()
  t.equal(await status(request(`${rs.url}/d`, { dispatcher: client.dispatcher })), 401)
  t.equal(await status(request(`${rs.url}/d`, { dispatcher: client.dispatcher })), 200)
  t.same(rs.counters.refused, {})
})

t.test('10,000 requests: 10,000 distinct jti', async t => {
  const rs = await resource(t, {})
  const client = dpopClient(t)
  const total = 10_000
  const started = Date.now()
  let issued = 0
  let ok = 0
  const worker = async () => {
    // Bounded in count and in time.
    while (issued < total && Date.now() - started < 120_000) {
      issued++
      if ((await status(client.get(`${rs.url}/many`))) === 200) ok++
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  t.equal(ok, total, `${total} requests accepted in ${Date.now() - started} ms`)
  t.equal(rs.counters.accepted, total)
  t.equal(rs.counters.jtis.size, total + rs.counters.nonceChallenges, 'no jti ever repeated')
  t.same(rs.counters.refused, {}, 'no replay, no other refusal')
})
