/**
 * Token sessions on a RedisTokenStore against a real redis-server and the real oidc-provider with
 * refresh-token rotation, through ioredis and node-redis: one token call per expiry for all the
 * clients, the others adopt the saved token; a fresh token sends no Redis command; the commands a
 * renewal takes; a wrong encryptionKey; and an outage under both policies, then sharing again.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { TokenStoreError } from '../../lib/errors.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import type { UpdateToken } from '../../lib/oauth2/token-session.js'
import { RedisTokenStore } from '../../lib/redis/index.js'
import { STORE_UNAVAILABLE_WARNING } from '../../lib/store/shared-renewal.js'
import type { TokenStore } from '../../lib/store/token-store.js'
import { JWT_BEARER_GRANT } from '../fixtures/provider.js'
import { startRedis } from '../fixtures/redis-server.js'
import { expired, startRenewalWorld } from '../store/renewal-world.js'
import { CLIENT_KINDS, type ConnectedClient, connect } from './clients.js'

const redis = await startRedis()
t.teardown(() => redis.stop())
const { op, rs, client, assertionClient, userToken, getAll } = await startRenewalWorld(t)
type Context = Parameters<UpdateToken>[1]

/** The store's calls, counted, passed through; each is one Redis command. */
function counting(store: TokenStore): TokenStore & { calls: number } {
  const counted = {
    calls: 0,
    get(key: string) {
      counted.calls++
      return store.get(key)
    },
    lock(key: string, ttl: number) {
      counted.calls++
      return store.lock(key, ttl)
    },
    save(key: string, token: OAuth2Token, owner: string) {
      counted.calls++
      return store.save(key, token, owner)
    },
    release(key: string, owner: string) {
      counted.calls++
      return store.release(key, owner)
    },
  }
  return counted
}

/** Commands the server counted for the store's four commands. */
async function storeCommands(connected: ConnectedClient): Promise<number> {
  let total = 0
  for (const name of ['get', 'set', 'eval']) total += await connected.commandCalls(name)
  return total
}

function captureWarnings(t: Test): Error[] {
  const warnings: Error[] = []
  const onWarning = (warning: Error) => {
    if ((warning as { code?: string }).code === STORE_UNAVAILABLE_WARNING) warnings.push(warning)
  }
  process.on('warning', onWarning)
  t.teardown(() => {
    process.off('warning', onWarning)
  })
  return warnings
}

for (const kind of CLIENT_KINDS) {
  t.test(kind, async t => {
    const a = await connect(kind, redis.url)
    const b = await connect(kind, redis.url)
    t.teardown(async () => {
      await a.close()
      await b.close()
    })
    const prefix = `${kind}:`

    t.test('rotation on, two clients with their own Redis connections: one refresh per expiry', async t => {
      const contexts: [string, Context][] = []
      const record =
        (name: string): UpdateToken =>
        (_token, context) =>
          void contexts.push([name, context])
      const first = await userToken()
      const shared = { storeKey: 'alice', onStoreError: 'fail' } as const
      await using one = client({
        ...shared,
        token: expired(first),
        tokenStore: new RedisTokenStore(a.client, { prefix }),
        updateToken: record('one'),
      })
      await using two = client({
        ...shared,
        token: expired(first),
        tokenStore: new RedisTokenStore(b.client, { prefix }),
        updateToken: record('two'),
      })
      for (let round = 1; round <= 3; round++) {
        op.counters.reset()
        contexts.length = 0
        const statuses = (await Promise.all([getAll(one, 100), getAll(two, 100)])).flat()
        t.equal(statuses.filter(s => s === 200).length, 200, `round ${round}: 200 x 200`)
        t.equal(op.counters.byGrantType.refresh_token, 1, `round ${round}: one refresh in total`)
        t.same(op.counters.statuses, { 200: 1 }, 'no invalid_grant')
        t.equal(one.token?.access_token, two.token?.access_token)
        t.same(contexts.map(([, context]) => context.source).sort(), ['endpoint', 'store'])
        one.token = expired(one.token!)
        two.token = expired(two.token!)
      }
    })

    t.test('a fresh token sends no Redis command; a renewal takes four', async t => {
      const store = counting(new RedisTokenStore(a.client, { prefix: `${prefix}count:` }))
      await using c = client({ grantType: 'client_credentials', scope: 'api:read', tokenStore: store })
      const evals = await b.commandCalls('eval')
      t.same(await getAll(c, 1), [200])
      t.equal(store.calls, 4, 'GET, SET NX PX, GET, EVAL (fenced save + release)')
      t.equal((await b.commandCalls('eval')) - evals, 1, 'one script call')
      // The server's own count (scripts' inner calls included) stays still with a fresh token.
      const before = await storeCommands(b)
      t.equal((await getAll(c, 200)).filter(s => s === 200).length, 200)
      t.equal((await storeCommands(b)) - before, 0, 'no command over 200 requests with a fresh token')
      t.equal(store.calls, 4)
    })

    t.test('client_credentials: one default key, one token call for two clients', async t => {
      const options = { grantType: 'client_credentials', scope: 'api:read' } as const
      await using one = client({ ...options, tokenStore: new RedisTokenStore(a.client, { prefix }) })
      await using two = client({ ...options, tokenStore: new RedisTokenStore(b.client, { prefix }) })
      t.equal(one.storeKey, two.storeKey)
      op.counters.reset()
      const statuses = (await Promise.all([getAll(one, 50), getAll(two, 50)])).flat()
      t.equal(statuses.filter(s => s === 200).length, 100)
      t.equal(op.counters.total(), 1)
    })

    t.test('AssertionClient: one assertion grant for two clients', async t => {
      const make = (connected: ConnectedClient) =>
        assertionClient(new RedisTokenStore(connected.client, { prefix }))
      await using one = make(a)
      await using two = make(b)
      op.counters.reset()
      const statuses = (await Promise.all([getAll(one, 30), getAll(two, 30)])).flat()
      t.equal(statuses.filter(s => s === 200).length, 60)
      t.equal(op.counters.byGrantType[JWT_BEARER_GRANT], 1)
      t.equal(op.counters.total(), 1)
    })

    t.test('encryptionKey: shared encrypted; a client with the wrong key gets a TokenStoreError', async t => {
      const key = randomBytes(32)
      const options = { grantType: 'client_credentials', scope: 'api:read', storeKey: 'encrypted' } as const
      await using one = client({
        ...options,
        tokenStore: new RedisTokenStore(a.client, { prefix, encryptionKey: key }),
      })
      t.same(await getAll(one, 1), [200])
      const raw = (await a.rawGet(`${prefix}{encrypted}`))!
      t.notOk(raw.includes(one.token!.access_token), 'the raw value holds no access token')
      await using same = client({
        ...options,
        tokenStore: new RedisTokenStore(b.client, { prefix, encryptionKey: key }),
      })
      op.counters.reset()
      t.same(await getAll(same, 1), [200])
      t.equal(op.counters.total(), 0, 'adopted through the encrypted value')
      await using wrong = client({
        ...options,
        tokenStore: new RedisTokenStore(b.client, { prefix, encryptionKey: randomBytes(32) }),
      })
      const err = await wrong.get(`${rs.url}/data`).catch((e: unknown) => e)
      t.type(err, TokenStoreError)
      t.match(err, { code: 'ERR_OAUTH_TOKEN_STORE', message: /does not decrypt/ })
      t.equal(wrong.token, undefined, 'no garbled token in use')
      t.equal(op.counters.total(), 0, 'and no token call')
    })

    t.test('Redis down, then back: fresh tokens need nothing; renewals follow the policy', async t => {
      const warnings = captureWarnings(t)
      const first = await userToken()
      const store = counting(new RedisTokenStore(a.client, { prefix }))
      await using local = client({ token: first, tokenStore: store, storeKey: 'outage' })
      await using failing = client({
        token: first,
        tokenStore: new RedisTokenStore(b.client, { prefix }),
        storeKey: 'outage-fail',
        onStoreError: 'fail',
      })
      await redis.kill()
      t.same(await getAll(local, 20), Array(20).fill(200), 'fresh token: every request succeeds')
      t.same(await getAll(failing, 5), Array(5).fill(200), "also under 'fail'")
      t.equal(store.calls, 0, 'with no store call')

      local.token = expired(local.token!)
      op.counters.reset()
      t.same(await getAll(local, 20), Array(20).fill(200), "'local': renewed by the client alone")
      t.equal(op.counters.byGrantType.refresh_token, 1, 'one refresh, single-flight in the process')
      local.token = expired(local.token!)
      t.same(await getAll(local, 5), Array(5).fill(200))
      await new Promise(resolve => setImmediate(resolve))
      t.equal(warnings.length, 1, 'one warning for the outage')
      t.match(warnings[0]?.message, /token store unavailable \(the Redis client is not connected\)/)

      failing.token = expired(failing.token!)
      const err = await failing.get(`${rs.url}/data`).catch((e: unknown) => e)
      t.type(err, TokenStoreError, "'fail': the renewal is refused")
      t.match(err, { code: 'ERR_OAUTH_TOKEN_STORE' })

      await redis.restart()
      await a.ready()
      await b.ready()
      const latest = expired(local.token!)
      local.token = latest
      await using one = client({
        token: latest,
        tokenStore: new RedisTokenStore(a.client, { prefix }),
        storeKey: 'outage',
      })
      await using two = client({
        token: latest,
        tokenStore: new RedisTokenStore(b.client, { prefix }),
        storeKey: 'outage',
      })
      op.counters.reset()
      const statuses = (await Promise.all([getAll(local, 20), getAll(one, 20), getAll(two, 20)])).flat()
      t.equal(statuses.filter(s => s === 200).length, 60, 'sharing resumes after the restart')
      t.equal(op.counters.byGrantType.refresh_token, 1, 'one refresh for the three clients')
      t.same(op.counters.statuses, { 200: 1 })

      // Those store calls answered, which ended the outage: the next one warns again.
      await redis.kill()
      local.token = expired(local.token!)
      t.same(await getAll(local, 2), [200, 200])
      await new Promise(resolve => setImmediate(resolve))
      t.equal(warnings.length, 2, 'a second outage, a second warning')
      await redis.restart()
      await a.ready()
      await b.ready()
    })
  })
}
