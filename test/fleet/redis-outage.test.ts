/**
 * Issue 14, acceptance 5 at fleet level: 4 worker processes on client_credentials share a token
 * through Redis; redis-server is killed (SIGKILL) mid-run and restarted empty. With a fresh token
 * no request fails while it is down. A renewal during the outage follows the policy: under
 * `onStoreError: 'local'` each process renews on its own (one token call per process, every
 * request 200, one warning per process); under `'fail'` every waiting request rejects with TokenStoreError
 * (ERR_OAUTH_TOKEN_STORE) and no token call is made. Once Redis is back and every client has
 * reconnected, the fleet shares again: one token call for the next expiry.
 */
import t from 'tap'
import { DEFAULT_CLIENTS, startProvider } from '../fixtures/provider.js'
import { startRedis } from '../fixtures/redis-server.js'
import { fleetConfigs, pastExpiry, startFleet } from './fleet.js'
import type { Outcome } from './protocol.js'
import { startRecordingResource } from './resource.js'

// Forking the workers (tsx, the library, a Redis driver each) takes up to a minute on a loaded
// 2-core machine: more than the suite's per-file default allows for this file.
t.setTimeout(300_000)

const WORKERS = 4
const REQUESTS = 20
const TOKEN_TTL = 6

const op = await startProvider({ clientCredentialsTTL: TOKEN_TTL })
t.teardown(() => op.close())
const rs = await startRecordingResource(op.provider)
t.teardown(() => rs.close())

const statuses = (outcomes: Outcome[]) => outcomes.map(outcome => outcome.status ?? outcome.error?.code)
const all = (items: readonly unknown[], value: unknown) => items.map(() => value)

for (const policy of ['local', 'fail'] as const) {
  t.test(`onStoreError '${policy}'`, async t => {
    const redis = await startRedis()
    t.teardown(() => redis.stop())
    const fleet = await startFleet(
      fleetConfigs(WORKERS, {
        redisUrl: redis.url,
        resource: rs.url,
        onStoreError: policy,
        client: {
          kind: 'oauth2',
          options: {
            tokenEndpoint: op.urls.token,
            clientId: DEFAULT_CLIENTS.basic.client_id,
            clientSecret: DEFAULT_CLIENTS.basic.client_secret,
            grantType: 'client_credentials',
            scope: 'api:read',
            leeway: 1,
            timeout: 10_000,
          },
        },
      }),
    )
    t.teardown(() => fleet.stop())
    op.counters.reset()
    const calls = () => op.counters.byGrantType['client_credentials'] ?? 0

    const cold = (await fleet.burst(REQUESTS)).flat()
    t.same(statuses(cold), all(cold, 200), 'cold start: every GET answers 200')
    t.equal(calls(), 1, 'one token call for the fleet')

    await redis.kill()
    const fresh = (await fleet.burst(REQUESTS)).flat()
    t.same(statuses(fresh), all(fresh, 200), 'Redis down, token fresh: no request fails')
    t.equal(calls(), 1, 'and no token call')

    await pastExpiry(fleet)
    const outage = (await fleet.burst(REQUESTS)).flat()
    if (policy === 'local') {
      t.same(statuses(outage), all(outage, 200), 'renewal in the outage: every GET answers 200')
      t.equal(calls(), 1 + WORKERS, 'each process renewed on its own')
      const warned = fleet.events.filter(
        event => event.type === 'warning' && event.code === 'UNDICI_OAUTH_TOKEN_STORE_UNAVAILABLE',
      )
      t.same(
        warned.map(event => event.worker).sort(),
        fleet.workers.map(worker => worker.index),
        'each process warned once',
      )
    } else {
      t.same(statuses(outage), all(outage, 'ERR_OAUTH_TOKEN_STORE'), 'every GET rejects with TokenStoreError')
      t.equal(calls(), 1, 'and no token call is made')
    }

    await redis.restart()
    t.same(await fleet.connected(), all(fleet.workers, true), 'every client reconnected')
    await pastExpiry(fleet)
    const before = calls()
    const after = (await fleet.burst(REQUESTS)).flat()
    t.same(statuses(after), all(after, 200), 'after the restart every GET answers 200')
    t.equal(calls(), before + 1, 'and the fleet shares one token call again')
    t.equal(fleet.events.filter(event => event.type === 'fault').length, 0, 'no worker failed')
  })
}
