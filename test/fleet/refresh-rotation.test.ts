/**
 * Issue 14, acceptance 1: 8 worker processes, each its own OAuth2Client on a RedisTokenStore
 * (ioredis and node-redis alternately), share one grant whose refresh token rotates (the real
 * oidc-provider with rotateRefreshToken). 100 concurrent GETs per process on an expired token make
 * exactly 1 refresh call, 800 answers are 200 and no refresh is refused; over 5 expiries of a
 * 10-second token, refresh calls == expiries (a token of a few seconds would expire again while a
 * burst of 800 GETs is still running on a loaded 2-core machine, and rightly be renewed again). Each expiry is renewed by one process at the token
 * endpoint and adopted from the store by the 7 others, and the resource sees one access token.
 */
import t from 'tap'
import { startProvider } from '../fixtures/provider.js'
import { startRedis } from '../fixtures/redis-server.js'
import { pastExpiry, startFleet, timeline, updatesIn } from './fleet.js'
import { aliceGrantFleet, expiredUserToken } from './password-grant.js'
import { startRecordingResource } from './resource.js'

const WORKERS = 8
const REQUESTS = 100
const EXPIRIES = 5
const TOKEN_TTL = 10
/** Renewed 1 s before expiry: each burst has 9 s of fresh token. */
const LEEWAY = 1

// Forking 8 workers (tsx, the library, a Redis driver each) takes up to a minute on a loaded
// 2-core machine: more than the suite's per-file default allows for this file.
t.setTimeout(300_000)

t.test('8 processes share one rotating refresh token: one refresh per expiry', async t => {
  const redis = await startRedis()
  t.teardown(() => redis.stop())
  const op = await startProvider({ rotateRefreshToken: true, accessTokenTTL: TOKEN_TTL })
  t.teardown(() => op.close())
  const rs = await startRecordingResource(op.provider)
  t.teardown(() => rs.close())
  const token = await expiredUserToken(op)
  op.counters.reset()

  const fleet = await startFleet(
    aliceGrantFleet(
      WORKERS,
      { redisUrl: redis.url, resource: rs.url, tokenEndpoint: op.urls.token, token },
      { leeway: LEEWAY, timeout: 15_000 },
    ),
  )
  t.teardown(() => fleet.stop())
  t.same(
    fleet.workers.map(worker => worker.storeKey),
    fleet.workers.map(() => 'grant:alice'),
    'every process uses the key given',
  )

  for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
    if (expiry > 1) await pastExpiry(fleet)
    const eventsFrom = fleet.events.length
    const since = Date.now()
    const arrivalsFrom = rs.arrivals.length
    const outcomes = (await fleet.burst(REQUESTS)).flat()

    const statuses = outcomes.map(outcome => outcome.status ?? outcome.error?.code)
    t.same(
      statuses.filter(status => status !== 200),
      [],
      `expiry ${expiry}: all ${WORKERS * REQUESTS} GETs answered 200`,
    )
    t.equal(outcomes.length, WORKERS * REQUESTS, 'every GET reported')
    t.equal(op.counters.byGrantType['refresh_token'], expiry, `expiry ${expiry}: refresh calls == expiries`)
    const updates = updatesIn(fleet.events.slice(eventsFrom))
    if (updates.filter(update => update.source === 'endpoint').length !== 1) {
      t.comment(`store calls of this round:\n${timeline(fleet.events.slice(eventsFrom), since)}`)
    }
    const fromEndpoint = updates.filter(update => update.source === 'endpoint')
    t.equal(fromEndpoint.length, 1, 'one process renewed at the token endpoint')
    t.equal(updates.filter(update => update.source === 'store').length, WORKERS - 1, 'the others adopted it')
    t.same(
      [...new Set(rs.arrivals.slice(arrivalsFrom).map(arrival => arrival.token))],
      [fromEndpoint[0]?.accessToken],
      'the whole fleet used that one new access token',
    )
  }
  t.equal(op.counters.total(), EXPIRIES, 'no other token call')
  t.same(op.counters.statuses, { 200: EXPIRIES }, 'no refresh refused (no invalid_grant)')
  const presented = op.counters.refreshTokensPresented
  t.equal(new Set(presented).size, presented.length, 'every refresh token was sent once')
  t.equal(
    fleet.events.filter(event => event.type === 'fault').length,
    0,
    'no worker failed outside a request',
  )
})
