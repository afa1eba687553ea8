/**
 * Issue 14, acceptance 2: client credentials across 8 processes (OAuth2Client with grantType
 * 'client_credentials', then AssertionClient with RFC 7523's JWT bearer grant), each on its own
 * RedisTokenStore against the real oidc-provider. A cold start (no token anywhere) makes 1 token
 * call in total, then each expiry of an 8-second token makes exactly 1 more; the resource sees a
 * single access token per expiry.
 */
import { generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import {
  DEFAULT_CLIENTS,
  JWT_BEARER_GRANT,
  type ProviderFixture,
  startProvider,
} from '../fixtures/provider.js'
import { startRedis } from '../fixtures/redis-server.js'
import { type Fleet, fleetConfigs, pastExpiry, startFleet, timeline, updatesIn } from './fleet.js'
import type { WorkerConfig } from './protocol.js'
import { type RecordingResource, startRecordingResource } from './resource.js'

const WORKERS = 8
const REQUESTS = 50
/** The cold start and 2 expiries. */
const EXPIRIES = 3
const TOKEN_TTL = 8

// Forking 8 workers (tsx, the library, a Redis driver each) takes up to a minute on a loaded
// 2-core machine: more than the suite's per-file default allows for this file.
t.setTimeout(300_000)

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const KID = 'fleet-robot-key'
const ROBOT = { clientId: 'fleet-robot', issuer: 'robot@fleet.test' }

const redis = await startRedis()
t.teardown(() => redis.stop())
const op = await startProvider({
  clientCredentialsTTL: TOKEN_TTL,
  serviceAccounts: [{ ...ROBOT, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: KID } }],
})
t.teardown(() => op.close())
const rs = await startRecordingResource(op.provider)
t.teardown(() => rs.close())

/** A cold start, then EXPIRIES - 1 expiries: one token call (of `grantType`) each. */
async function expiries(
  t: Test,
  op: ProviderFixture,
  rs: RecordingResource,
  client: WorkerConfig['client'],
  grantType: string,
) {
  op.counters.reset()
  const fleet: Fleet = await startFleet(
    fleetConfigs(WORKERS, { redisUrl: redis.url, resource: rs.url, prefix: `${grantType}:`, client }),
  )
  t.teardown(() => fleet.stop())
  for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
    if (expiry > 1) await pastExpiry(fleet)
    const eventsFrom = fleet.events.length
    const since = Date.now()
    const arrivalsFrom = rs.arrivals.length
    const outcomes = (await fleet.burst(REQUESTS)).flat()
    const label = expiry === 1 ? 'cold start' : `expiry ${expiry - 1}`
    t.same(
      outcomes
        .filter(outcome => outcome.status !== 200)
        .map(outcome => outcome.error?.code ?? outcome.status),
      [],
      `${label}: all ${WORKERS * REQUESTS} GETs answered 200`,
    )
    t.equal(op.counters.byGrantType[grantType], expiry, `${label}: ${expiry} token call(s) in total`)
    const updates = updatesIn(fleet.events.slice(eventsFrom))
    if (updates.filter(update => update.source === 'endpoint').length !== 1) {
      t.comment(`store calls of this round:\n${timeline(fleet.events.slice(eventsFrom), since)}`)
    }
    t.equal(
      updates.filter(update => update.source === 'endpoint').length,
      1,
      'one process called the endpoint',
    )
    t.equal(updates.filter(update => update.source === 'store').length, WORKERS - 1, 'the others adopted it')
    t.equal(
      new Set(rs.arrivals.slice(arrivalsFrom).map(arrival => arrival.token)).size,
      1,
      'one access token',
    )
  }
  t.equal(op.counters.total(), EXPIRIES, 'no other token call')
  t.equal(fleet.events.filter(event => event.type === 'fault').length, 0, 'no worker failed')
}

t.test('OAuth2Client, client_credentials', t =>
  expiries(
    t,
    op,
    rs,
    {
      kind: 'oauth2',
      options: {
        tokenEndpoint: op.urls.token,
        clientId: DEFAULT_CLIENTS.basic.client_id,
        clientSecret: DEFAULT_CLIENTS.basic.client_secret,
        grantType: 'client_credentials',
        scope: 'api:read',
        leeway: 1,
        timeout: 15_000,
      },
    },
    'client_credentials',
  ),
)

t.test('AssertionClient, RFC 7523 JWT bearer grant', t =>
  expiries(
    t,
    op,
    rs,
    {
      kind: 'assertion',
      options: {
        tokenEndpoint: op.urls.token,
        issuer: ROBOT.issuer,
        clientId: ROBOT.clientId,
        key: { ...privateKey.export({ format: 'jwk' }), kid: KID },
        header: { kid: KID },
        scope: 'api:read',
        leeway: 1,
        timeout: 15_000,
      },
    },
    JWT_BEARER_GRANT,
  ),
)
