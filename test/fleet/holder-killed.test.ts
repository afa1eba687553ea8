/**
 * Issue 14, acceptance 3: the process holding the renewal lock is SIGKILLed while the token
 * endpoint stalls before answering it (a proxy holds its refresh request; the provider never sees
 * it, so the rotating refresh token stays unused). Another process takes the lock once its TTL
 * has run out and renews within TTL + 1 s of the dead holder taking it; no request hangs: each
 * answers 200 or rejects with one of the library's typed errors inside its deadline (+ 1 s for a
 * loaded machine; the session checks deadlines every 100 ms).
 */
import t from 'tap'
import { startProvider } from '../fixtures/provider.js'
import { startRedis } from '../fixtures/redis-server.js'
import { type FleetEvent, startFleet, timeline } from './fleet.js'
import { aliceGrantFleet, expiredUserToken } from './password-grant.js'
import { startRecordingResource } from './resource.js'
import { startTokenProxy } from './token-proxy.js'

const WORKERS = 4
const TIMEOUT = 3_000
const SLACK = 1_000

type StoreEvent = Extract<FleetEvent, { type: 'store' }>

// Forking 8 workers (tsx, the library, a Redis driver each) takes up to a minute on a loaded
// 2-core machine: more than the suite's per-file default allows for this file.
t.setTimeout(300_000)

t.test('a lock holder killed mid-renewal: another process renews after the TTL', async t => {
  const redis = await startRedis()
  t.teardown(() => redis.stop())
  const op = await startProvider({ rotateRefreshToken: true })
  t.teardown(() => op.close())
  const rs = await startRecordingResource(op.provider)
  t.teardown(() => rs.close())
  const proxy = await startTokenProxy(op.urls.token)
  t.teardown(() => proxy.close())
  const token = await expiredUserToken(op)
  op.counters.reset()

  const fleet = await startFleet(
    aliceGrantFleet(
      WORKERS,
      { redisUrl: redis.url, resource: rs.url, tokenEndpoint: proxy.url, token },
      { timeout: TIMEOUT, tokenRetries: 0 },
    ),
  )
  t.teardown(() => fleet.stop())

  proxy.mode = 'hold'
  const arrival = proxy.nextArrival(30_000)
  const locked = fleet.next(
    event => event.type === 'store' && event.method === 'lock' && typeof event.result === 'string',
  )
  // Each process keeps 5 GETs in flight, one after another, for long enough to see the takeover.
  const loops = fleet.workers.map(worker =>
    worker.run({ type: 'loop', concurrency: 5, durationMs: 4 * TIMEOUT }, 60_000),
  )
  const holding = (await locked) as StoreEvent
  await arrival
  const holder = fleet.workers[holding.worker]!
  proxy.mode = 'pass'
  holder.child.kill('SIGKILL')
  const killedAt = Date.now()
  t.comment(`worker ${holder.index} took the lock (ttl ${holding.ttlMs} ms) and was killed at its token call`)

  const survivors = fleet.workers.filter(worker => worker !== holder)
  const outcomes = (await Promise.all(loops.filter((_, i) => i !== holder.index))).flat()
  await loops[holder.index]!.catch(() => {}) // never answers: the process is dead

  t.type(holding.ttlMs, 'number')
  t.ok(holding.ttlMs! >= TIMEOUT, `the lock's TTL (${holding.ttlMs} ms) is at least the renewal deadline`)
  const saved = fleet.events.find(
    (event): event is StoreEvent =>
      event.type === 'store' &&
      event.method === 'save' &&
      event.result === true &&
      event.worker !== holder.index,
  )
  if (saved === undefined) {
    t.fail('another process renewed and saved')
    t.comment(`store calls since the lock was taken:\n${timeline(fleet.events, holding.at)}`)
    return
  }
  const renewedAfter = saved.at - holding.at
  t.ok(
    renewedAfter <= holding.ttlMs! + SLACK,
    `renewed ${Math.round(renewedAfter)} ms after the holder took the lock (${Math.round(saved.at - killedAt)} ms after the kill); TTL ${holding.ttlMs} ms + 1 s`,
  )
  t.ok(renewedAfter >= holding.ttlMs! - 500, "not before the dead holder's lock ran out")
  t.equal(
    op.counters.byGrantType['refresh_token'],
    1,
    'the provider saw one refresh: the held one never reached it',
  )
  t.same(op.counters.statuses, { 200: 1 }, 'and answered it')

  t.ok(outcomes.length > 0, 'the survivors kept sending')
  const untyped = outcomes.filter(outcome => outcome.status !== 200 && outcome.error?.typed !== true)
  t.same(untyped, [], 'each request answered 200 or rejected with a typed OAuthError')
  const late = outcomes.filter(outcome => outcome.ms > TIMEOUT + SLACK)
  t.same(late, [], `no request took longer than its ${TIMEOUT} ms deadline + 1 s`)
  const codes = new Set(outcomes.map(outcome => outcome.error?.code ?? outcome.status))
  t.comment(`outcomes: ${outcomes.length}, kinds: ${[...codes].join(', ')}`)
  t.ok(
    outcomes.some(outcome => outcome.status === 200 && outcome.startedAt > saved.at),
    'requests after the takeover succeed',
  )

  // The fleet without the dead process goes on with the new token.
  const after = (
    await Promise.all(survivors.map(worker => worker.run({ type: 'burst', requests: 20 })))
  ).flat()
  t.same(
    after.map(outcome => outcome.status),
    after.map(() => 200),
    'every survivor answers 200 afterwards',
  )
  t.equal(op.counters.byGrantType['refresh_token'], 1, 'and makes no further refresh')
})
