/**
 * Clients of one process sharing a MemoryTokenStore against the real oidc-provider, refresh
 * tokens rotating: one token call in total per expiry however many clients, the others adopt the
 * saved token (updateToken source 'store'); the 401 path goes the same way; without a store
 * nothing changes. Then the options' checks and the store failure policies.
 */
import t, { type Test } from 'tap'
import { InvalidOptionError, MissingTokenError, TokenStoreError } from '../../lib/errors.js'
import type { OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import type { UpdateToken } from '../../lib/oauth2/token-session.js'
import { STORE_UNAVAILABLE_WARNING } from '../../lib/store/shared-renewal.js'
import { MemoryTokenStore, type TokenStore } from '../../lib/store/token-store.js'
import { JWT_BEARER_GRANT } from '../fixtures/provider.js'
import { expired, startRenewalWorld } from './renewal-world.js'

const { op, rs, client, assertionClient, userToken, getAll } = await startRenewalWorld(t)
type Context = Parameters<UpdateToken>[1]

t.test('two clients on one MemoryTokenStore, rotation on: one refresh in total, three expiries', async t => {
  const store = new MemoryTokenStore()
  const contexts: [string, Context][] = []
  const record =
    (name: string): UpdateToken =>
    (_token, context) =>
      void contexts.push([name, context])
  const first = await userToken()
  await using a = client({
    token: expired(first),
    tokenStore: store,
    storeKey: 'alice',
    updateToken: record('a'),
  })
  await using b = client({
    token: expired(first),
    tokenStore: store,
    storeKey: 'alice',
    updateToken: record('b'),
  })
  t.equal(a.storeKey, 'alice')
  for (let round = 1; round <= 3; round++) {
    op.counters.reset()
    contexts.length = 0
    const statuses = [...(await getAll(a, 50)), ...(await Promise.all([getAll(a, 50), getAll(b, 50)])).flat()]
    t.equal(statuses.filter(s => s === 200).length, 150, `round ${round}: every request succeeds`)
    t.equal(op.counters.byGrantType.refresh_token, 1, `round ${round}: one refresh in total`)
    t.same(op.counters.statuses, { 200: 1 }, 'no invalid_grant')
    t.equal(a.token?.access_token, b.token?.access_token, 'both use the same token')
    t.same(
      contexts.map(([name, context]) => [name, context.source]),
      [
        ['a', 'endpoint'],
        ['b', 'store'],
      ],
    )
    t.ok(contexts[1]![1].accessToken, 'the adopted token names the access token it replaced')
    a.token = expired(a.token!)
    b.token = expired(b.token!)
  }
})

t.test('a 401 invalid_token in one client renews once for both', async t => {
  const store = new MemoryTokenStore()
  const first = await userToken()
  await using a = client({ token: first, tokenStore: store, storeKey: 'alice-401' })
  await using b = client({ token: first, tokenStore: store, storeKey: 'alice-401' })
  const access = await op.provider.AccessToken.find(first.access_token)
  await (access as unknown as { destroy(): Promise<void> }).destroy()
  op.counters.reset()
  const statuses = (await Promise.all([getAll(a, 20), getAll(b, 20)])).flat()
  t.same(new Set(statuses), new Set([200]), 'each request retried once with the new token')
  t.equal(op.counters.byGrantType.refresh_token, 1, 'one refresh for both')
  t.same(op.counters.statuses, { 200: 1 })
})

t.test(
  'a client that is behind renews from the refresh token in the store, not its own rotated one',
  async t => {
    const store = new MemoryTokenStore()
    const first = await userToken()
    await using a = client({ token: expired(first), tokenStore: store, storeKey: 'alice-behind' })
    await getAll(a, 1)
    // a rotated the refresh token; the store's token expires too, and b still holds the old one.
    const saved = await store.get('alice-behind')
    const owner = (await store.lock('alice-behind', 1_000))!
    const due = expired(saved!)
    await store.save('alice-behind', due, owner)
    // b's copy of the first token expired earlier than the one a saved.
    const older = { ...first, expires_at: due.expires_at! - 60 }
    await using b = client({ token: older, tokenStore: store, storeKey: 'alice-behind' })
    op.counters.reset()
    t.same(await getAll(b, 5), [200, 200, 200, 200, 200])
    t.same(op.counters.refreshTokensPresented, [saved!.refresh_token], 'the newest refresh token was used')
    t.same(op.counters.statuses, { 200: 1 })
  },
)

t.test('client_credentials: two clients, one default key, one token call in total', async t => {
  const store = new MemoryTokenStore()
  const options = { grantType: 'client_credentials', scope: 'api:read', tokenStore: store } as const
  await using a = client(options)
  await using b = client(options)
  await using other = client({ ...options, scope: 'api:write' })
  t.equal(a.storeKey, b.storeKey, 'the same grant gets the same key')
  t.match(a.storeKey, /^[\w-]{43}$/, 'a sha256 in base64url')
  t.not(other.storeKey, a.storeKey, 'another scope is another grant')
  op.counters.reset()
  const statuses = (await Promise.all([getAll(a, 50), getAll(b, 50)])).flat()
  t.equal(statuses.filter(s => s === 200).length, 100)
  t.equal(op.counters.total(), 1, 'one token call for both clients')
})

t.test('AssertionClient: two clients on one store, one assertion grant in total', async t => {
  const store = new MemoryTokenStore()
  const make = (subject?: string) => assertionClient(store, subject)
  await using a = make()
  await using b = make()
  t.equal(a.storeKey, b.storeKey)
  t.not(make('someone@example.com').storeKey, a.storeKey, 'another subject is another grant')
  op.counters.reset()
  const statuses = (await Promise.all([getAll(a, 30), getAll(b, 30)])).flat()
  t.equal(statuses.filter(s => s === 200).length, 60)
  t.equal(op.counters.byGrantType[JWT_BEARER_GRANT], 1, 'one token call')
  t.equal(op.counters.total(), 1)
})

t.test('without a store: no key, and updateToken says the token came from the endpoint', async t => {
  const contexts: Context[] = []
  await using c = client({
    grantType: 'client_credentials',
    updateToken: (_t, context) => void contexts.push(context),
  })
  t.equal(c.storeKey, undefined)
  t.same(await getAll(c, 2), [200, 200])
  t.same(contexts, [{ source: 'endpoint' }])
})

t.test('the store options are checked at construction', async t => {
  const store = new MemoryTokenStore()
  const cases: [string, OAuth2ClientOptions, RegExp][] = [
    ['storeKey without a store', { storeKey: 'k' }, /`tokenStore` must be set with storeKey/],
    ['onStoreError without a store', { onStoreError: 'fail' }, /`tokenStore` must be set with onStoreError/],
    ['not a store', { tokenStore: {} as TokenStore }, /`tokenStore` must be a TokenStore/],
    ['null', { tokenStore: null as unknown as TokenStore }, /`tokenStore` must be a TokenStore.*got null/],
    ['empty key', { tokenStore: store, storeKey: '' }, /`storeKey` must be a non-empty string/],
    [
      'unknown policy',
      { tokenStore: store, storeKey: 'k', onStoreError: 'retry' as 'fail' },
      /`onStoreError` must be one of 'local', 'fail'/,
    ],
    ['a refresh-token client with no key', { tokenStore: store }, /`storeKey` must be set with tokenStore/],
  ]
  for (const [what, options, message] of cases) {
    t.throws(() => client(options), { code: 'ERR_OAUTH_INVALID_OPTION', message }, what)
    t.type(
      thrown(() => client(options)),
      InvalidOptionError,
    )
  }
})

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  return undefined
}

/** A store whose every call fails as an unreachable server's would, counting the calls. */
function unreachable(): TokenStore & { calls: number } {
  const fail = async () => {
    store.calls++
    throw new Error('connect ECONNREFUSED 127.0.0.1:1')
  }
  const store = { calls: 0, get: fail, lock: fail, save: fail, release: fail }
  return store
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

t.test(
  "store unavailable, 'local': renewals fall back to the client's own single flight, one warning",
  async t => {
    const warnings = captureWarnings(t)
    const store = unreachable()
    const first = await userToken()
    await using c = client({ token: expired(first), tokenStore: store, storeKey: 'down' })
    op.counters.reset()
    t.same(new Set(await getAll(c, 20)), new Set([200]))
    t.equal(op.counters.byGrantType.refresh_token, 1, 'one refresh, single-flight in the process')
    c.token = expired(c.token!)
    t.same(new Set(await getAll(c, 5)), new Set([200]))
    const callsBefore = store.calls
    t.same(new Set(await getAll(c, 5)), new Set([200]), 'a fresh token needs no store')
    t.equal(store.calls, callsBefore, 'no store call with a fresh token')
    await new Promise(resolve => setImmediate(resolve))
    t.equal(warnings.length, 1, 'one warning for the outage')
    t.match(warnings[0]!.message, /token store unavailable \(connect ECONNREFUSED/)
    t.notMatch(warnings[0]!.message, first.refresh_token!)
  },
)

t.test(
  "store unavailable, 'fail': renewals reject with TokenStoreError, fresh tokens still work",
  async t => {
    const first = await userToken()
    await using c = client({
      token: first,
      tokenStore: unreachable(),
      storeKey: 'down',
      onStoreError: 'fail',
    })
    t.same(await getAll(c, 3), [200, 200, 200], 'fresh: no store involved')
    c.token = expired(first)
    const err = await c.get(`${rs.url}/data`).catch((e: unknown) => e)
    t.type(err, TokenStoreError)
    t.match(err, { code: 'ERR_OAUTH_TOKEN_STORE', message: /unavailable, renewal refused.*ECONNREFUSED/ })
    t.notMatch((err as Error).message, first.refresh_token!)
  },
)

t.test('a store that never answers cannot hold a renewal: it is bounded by the deadline', async t => {
  const never = () => new Promise<never>(() => {})
  const hung: TokenStore = { get: never, lock: never, save: never, release: never }
  const warnings = captureWarnings(t)
  await using c = client({ grantType: 'client_credentials', tokenStore: hung, timeout: 1_000 })
  const started = Date.now()
  t.same(await getAll(c, 3), [200, 200, 200], "'local': renewed alone after the bounded store call")
  t.ok(Date.now() - started < 1_000, 'within the renewal deadline')
  await new Promise(resolve => setImmediate(resolve))
  t.match(warnings[0]?.message, /did not answer within \d+ ms/)
})

t.test('a value the store cannot read is a TokenStoreError under either policy', async t => {
  const unreadable: TokenStore = {
    ...new MemoryTokenStore(),
    get: () => Promise.reject(new TokenStoreError('stored token does not decrypt')),
    lock: async () => 'x',
    save: async () => true,
    release: async () => {},
  }
  await using c = client({ grantType: 'client_credentials', tokenStore: unreadable })
  await t.rejects(c.get(`${rs.url}/data`), {
    code: 'ERR_OAUTH_TOKEN_STORE',
    message: 'stored token does not decrypt',
  })
})

t.test('a client that cannot renew adopts from the store, or says why it cannot', async t => {
  const store = new MemoryTokenStore()
  await using empty = client({ tokenStore: store, storeKey: 'nobody' })
  await t.rejects(empty.get(`${rs.url}/data`), MissingTokenError)
  await using source = client({ grantType: 'client_credentials', tokenStore: store, storeKey: 'shared-cc' })
  t.same(await getAll(source, 1), [200])
  await using reader = client({ tokenStore: store, storeKey: 'shared-cc' })
  op.counters.reset()
  t.same(await getAll(reader, 3), [200, 200, 200], 'no means of its own, the stored token serves')
  t.equal(op.counters.total(), 0)
})

t.test('the lock lives at least as long as the renewal deadline (the session timeout)', async t => {
  const store = new MemoryTokenStore()
  const ttls: number[] = []
  const recording: TokenStore = {
    get: key => store.get(key),
    lock: (key, ttl) => {
      ttls.push(ttl)
      return store.lock(key, ttl)
    },
    save: (key, token, owner) => store.save(key, token, owner),
    release: (key, owner) => store.release(key, owner),
  }
  for (const timeout of [7_000, undefined]) {
    ttls.length = 0
    await using c = client({
      grantType: 'client_credentials',
      tokenStore: recording,
      storeKey: `ttl-${timeout}`,
      timeout,
    })
    t.same(await getAll(c, 1), [200])
    t.same(ttls, [timeout ?? 30_000], `timeout ${timeout ?? 'default'}`)
  }
})
