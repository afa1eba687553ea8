/**
 * SharedRenewal's steps with a MemoryTokenStore and a site that counts its token calls: waiting
 * for a holder, taking over from one that never releases (after the TTL), a holder that fails,
 * and a holder whose lock expired while it renewed (its save refused, the newer token adopted).
 */
import t from 'tap'
import { OAuthError } from '../../lib/errors.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { type RenewalSite, SharedRenewal } from '../../lib/store/shared-renewal.js'
import { MemoryTokenStore } from '../../lib/store/token-store.js'

const fresh = (access: string): OAuth2Token => ({
  access_token: access,
  token_type: 'Bearer',
  expires_at: Date.now() / 1000 + 3600,
})
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** A session stand-in: `obtain` waits `delay` ms and returns `next`, counting calls. */
function site(options: { stale?: string; delay?: number; next?: string; fail?: Error }) {
  let token: OAuth2Token | undefined
  const calls = { obtain: 0 }
  const value: RenewalSite = {
    current: () => token,
    adoptable: candidate => candidate.access_token !== options.stale,
    install: candidate => {
      token = candidate
    },
    canRenew: () => true,
    obtain: async () => {
      calls.obtain++
      await sleep(options.delay ?? 0)
      if (options.fail !== undefined) throw options.fail
      token = fresh(options.next ?? 'new')
      return token
    },
    cannotRenew: () => new Error('cannot renew'),
    client: () => ({ clientType: 'RenewalSiteTest', clientId: undefined }),
  }
  return { value, calls }
}

function deadline(ms: number): { signal: AbortSignal; notAfter: number } {
  return { signal: AbortSignal.timeout(ms), notAfter: Date.now() + ms }
}

t.test('a waiter adopts the holder’s token as soon as it is saved', async t => {
  const store = new MemoryTokenStore()
  const renewal = new SharedRenewal(store, 'local')
  const holder = site({ delay: 80, next: 'from-holder' })
  const waiter = site({ next: 'from-waiter' })
  const d = deadline(5_000)
  const [a, b] = await Promise.all([
    renewal.renew(holder.value, 'k', 5_000, d.signal, d.notAfter),
    sleep(10).then(() => renewal.renew(waiter.value, 'k', 5_000, d.signal, d.notAfter)),
  ])
  t.same([a.source, a.token.access_token], ['endpoint', 'from-holder'])
  t.same([b.source, b.token.access_token], ['store', 'from-holder'])
  t.equal(waiter.calls.obtain, 0)
})

t.test('a holder that never releases: another takes over once the TTL passes', async t => {
  const store = new MemoryTokenStore()
  await store.lock('k', 300)
  const taker = site({ next: 'taken-over' })
  const d = deadline(5_000)
  const started = Date.now()
  const renewed = await new SharedRenewal(store, 'local').renew(taker.value, 'k', 5_000, d.signal, d.notAfter)
  t.equal(renewed.token.access_token, 'taken-over')
  t.ok(Date.now() - started >= 290, 'not before the TTL')
  t.ok(Date.now() - started < 1_300, 'within TTL + 1 s')
  t.equal((await store.get('k'))?.access_token, 'taken-over', 'saved')
})

t.test('a waiter whose deadline passes first rejects with the deadline’s reason', async t => {
  const store = new MemoryTokenStore()
  await store.lock('k', 10_000)
  const d = deadline(150)
  await t.rejects(new SharedRenewal(store, 'local').renew(site({}).value, 'k', 150, d.signal, d.notAfter), {
    name: 'TimeoutError',
  })
})

t.test('a holder whose token call fails releases the lock; the next one renews', async t => {
  const store = new MemoryTokenStore()
  const renewal = new SharedRenewal(store, 'fail')
  const failing = site({ fail: new OAuthError('token endpoint answered 400 invalid_client') })
  const d = deadline(5_000)
  await t.rejects(renewal.renew(failing.value, 'k', 5_000, d.signal, d.notAfter), OAuthError)
  await sleep(0)
  t.ok(await store.lock('k', 1), 'the lock was freed')
  await sleep(5)
  const next = site({ next: 'second' })
  t.equal((await renewal.renew(next.value, 'k', 5_000, d.signal, d.notAfter)).token.access_token, 'second')
})

t.test('fencing: a holder whose lock expired while it renewed keeps no older token', async t => {
  const store = new MemoryTokenStore()
  const renewal = new SharedRenewal(store, 'local')
  const slow = site({ delay: 200, next: 'older' })
  const d = deadline(5_000)
  // A lock TTL of 50 ms: the holder stalls past it in its token call.
  const late = renewal.renew(slow.value, 'k', 50, d.signal, d.notAfter)
  await sleep(100)
  const owner = await store.lock('k', 5_000)
  t.ok(owner, 'another takes over')
  await store.save('k', fresh('newer'), owner!)
  const renewed = await late
  t.same([renewed.source, renewed.token.access_token], ['store', 'newer'], 'the late holder adopts the newer')
  t.equal((await store.get('k'))?.access_token, 'newer', 'its save was refused')
})

t.test('a refused save with nothing newer saved keeps the token obtained', async t => {
  const store = new MemoryTokenStore()
  const slow = site({ delay: 100, next: 'mine' })
  const d = deadline(5_000)
  const renewed = await new SharedRenewal(store, 'local').renew(slow.value, 'k', 20, d.signal, d.notAfter)
  t.same([renewed.source, renewed.token.access_token], ['endpoint', 'mine'])
  t.equal(await store.get('k'), undefined)
})

t.test('the token saved while we waited for the lock is adopted after the re-read', async t => {
  const store = new MemoryTokenStore()
  let reads = 0
  const racing = {
    ...store,
    get: async (key: string) => {
      reads++
      // Between our first read and our lock, another process saves.
      if (reads === 2) return fresh('saved-meanwhile')
      return store.get(key)
    },
    lock: store.lock.bind(store),
    save: store.save.bind(store),
    release: store.release.bind(store),
  }
  const s = site({})
  const d = deadline(5_000)
  const renewed = await new SharedRenewal(racing, 'local').renew(s.value, 'k', 5_000, d.signal, d.notAfter)
  t.same([renewed.source, renewed.token.access_token], ['store', 'saved-meanwhile'])
  t.equal(s.calls.obtain, 0)
  t.ok(await store.lock('k', 1), 'and the lock released')
})

t.test('a save the store fails keeps the token obtained, with the outage warning', async t => {
  const store = new MemoryTokenStore()
  const warnings: Error[] = []
  const onWarning = (warning: Error) => void warnings.push(warning)
  process.on('warning', onWarning)
  t.teardown(() => {
    process.off('warning', onWarning)
  })
  const failingSave = {
    get: store.get.bind(store),
    lock: store.lock.bind(store),
    save: () => Promise.reject(new Error('connection reset')),
    release: store.release.bind(store),
  }
  const s = site({ next: 'kept' })
  const d = deadline(5_000)
  const renewed = await new SharedRenewal(failingSave, 'fail').renew(
    s.value,
    'k',
    5_000,
    d.signal,
    d.notAfter,
  )
  t.same(
    [renewed.source, renewed.token.access_token],
    ['endpoint', 'kept'],
    "even under 'fail': the call is spent",
  )
  await new Promise(resolve => setImmediate(resolve))
  t.match(
    warnings.map(w => w.message),
    [/token store unavailable \(connection reset\)/],
  )
})

t.test(
  'a due token in the store and no means to renew: the lock is released, the error says why',
  async t => {
    const store = new MemoryTokenStore()
    const due = { access_token: 'old', token_type: 'Bearer', expires_at: Date.now() / 1000 - 10 }
    await store.save('k', due, (await store.lock('k', 1_000))!)
    const s = site({})
    s.value.canRenew = () => false
    s.value.adoptable = () => false
    const d = deadline(5_000)
    await t.rejects(new SharedRenewal(store, 'local').renew(s.value, 'k', 5_000, d.signal, d.notAfter), {
      message: 'cannot renew',
    })
    t.equal(s.value.current()?.access_token, 'old', 'the newer stored token was installed')
    await new Promise(resolve => setImmediate(resolve))
    t.ok(await store.lock('k', 1), 'released')
  },
)
