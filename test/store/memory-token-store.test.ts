/**
 * MemoryTokenStore on its own: the TokenStore contract's guarantees (README "Running a fleet"):
 * a lock with one owner and a TTL, a fenced save, a release only by the owner, copies not shared objects.
 */
import t from 'tap'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { MemoryTokenStore } from '../../lib/store/token-store.js'

const token = (access: string): OAuth2Token => ({
  access_token: access,
  token_type: 'Bearer',
  expires_at: 2e9,
})
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

t.test('one owner at a time; the owner saves and the save frees the lock', async t => {
  const store = new MemoryTokenStore()
  t.equal(await store.get('k'), undefined)
  const owner = await store.lock('k', 10_000)
  t.type(owner, 'string')
  t.equal(await store.lock('k', 10_000), undefined, 'taken')
  t.ok(await store.lock('other', 10_000), 'another key has its own lock')
  t.equal(await store.save('k', token('a1'), owner!), true)
  t.same(await store.get('k'), token('a1'))
  t.equal(await store.save('k', token('a2'), owner!), false, 'the save ended the ownership')
  t.same(await store.get('k'), token('a1'))
  t.ok(await store.lock('k', 10_000), 'free again after the save')
})

t.test('fencing: an owner whose lock expired and was taken over cannot save', async t => {
  const store = new MemoryTokenStore()
  const stalled = await store.lock('k', 30)
  await sleep(50)
  const next = await store.lock('k', 10_000)
  t.ok(next, 'the TTL passed: another takes over')
  t.not(next, stalled)
  t.equal(await store.save('k', token('newer'), next!), true)
  t.equal(await store.save('k', token('older'), stalled!), false, 'the late save is refused')
  t.equal((await store.get('k'))?.access_token, 'newer', 'the newer token stays')
  const expired = await store.lock('j', 20)
  await sleep(40)
  t.equal(await store.save('j', token('late'), expired!), false, 'expired, even with no one else holding it')
  t.equal(await store.get('j'), undefined)
})

t.test('release by a non-owner does nothing; by the owner frees the lock', async t => {
  const store = new MemoryTokenStore()
  const owner = await store.lock('k', 10_000)
  await store.release('k', 'someone-else')
  t.equal(await store.lock('k', 10_000), undefined, 'still held')
  await store.release('k', owner!)
  t.ok(await store.lock('k', 10_000), 'released')
  await store.release('nothing-here', 'x')
})

t.test('tokens are copies', async t => {
  const store = new MemoryTokenStore()
  const saved = token('a1')
  await store.save('k', saved, (await store.lock('k', 1_000))!)
  saved.access_token = 'changed'
  const read = await store.get('k')
  read!.access_token = 'changed too'
  t.equal((await store.get('k'))?.access_token, 'a1')
})
