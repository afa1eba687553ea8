/**
 * RedisTokenStore against a real redis-server, through ioredis and node-redis: the lock (SET NX PX),
 * the fenced save and the owner-checked release (Lua), the value's TTL, and encryption at rest
 * (the raw value holds no token bytes; a wrong key is a TokenStoreError, never a garbled token).
 */
import { createSecretKey, randomBytes } from 'node:crypto'
import t from 'tap'
import { TokenStoreError } from '../../lib/errors.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { RedisTokenStore } from '../../lib/redis/index.js'
import { startRedis } from '../fixtures/redis-server.js'
import { CLIENT_KINDS, connect } from './clients.js'

const redis = await startRedis()
t.teardown(() => redis.stop())

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))
const userToken = (n: number): OAuth2Token => ({
  access_token: `access-${n}-${randomBytes(12).toString('base64url')}`,
  refresh_token: `refresh-${n}-${randomBytes(12).toString('base64url')}`,
  token_type: 'Bearer',
  expires_in: 3600,
  expires_at: Math.round(Date.now() / 1000) + 3600,
})

for (const kind of CLIENT_KINDS) {
  t.test(kind, async t => {
    const connected = await connect(kind, redis.url)
    t.teardown(() => connected.close())
    const store = new RedisTokenStore(connected.client, { prefix: `test-${kind}:` })

    t.test('lock, fenced save, release', async t => {
      t.equal(await store.get('k'), undefined)
      const owner = await store.lock('k', 10_000)
      t.type(owner, 'string')
      t.equal(await store.lock('k', 10_000), undefined, 'SET NX: taken')
      await store.release('k', 'not-the-owner')
      t.equal(await store.lock('k', 10_000), undefined, 'a non-owner release does nothing')
      const token = userToken(1)
      t.equal(await store.save('k', token, owner!), true)
      t.same(await store.get('k'), token, 'read back as saved')
      t.equal(await store.save('k', userToken(2), owner!), false, 'the save ended the ownership')
      const next = await store.lock('k', 10_000)
      t.ok(next, 'free after the save')
      await store.release('k', next!)
      t.ok(await store.lock('k', 10_000), 'free after the owner released')
    })

    t.test('fencing: a save after the lock expired and another took it is refused', async t => {
      const stalled = await store.lock('f', 50)
      await sleep(80)
      const next = await store.lock('f', 10_000)
      t.ok(next, 'the TTL passed: another takes over')
      const newer = userToken(3)
      t.equal(await store.save('f', newer, next!), true)
      t.equal(await store.save('f', userToken(4), stalled!), false, 'the late save is refused')
      t.same(await store.get('f'), newer, 'the newer token stays')
      const expired = await store.lock('g', 30)
      await sleep(60)
      t.equal(await store.save('g', userToken(5), expired!), false, 'expired with no one else holding it')
      t.equal(await store.get('g'), undefined)
    })

    t.test('keys: prefix and Cluster hash tag; a token without a refresh token expires with it', async t => {
      t.equal(store.tokenKey('k'), `test-${kind}:{k}`)
      const owner = (await store.lock('ttl', 1_000))!
      const accessOnly: OAuth2Token = {
        access_token: 'a',
        token_type: 'Bearer',
        expires_at: Date.now() / 1000 + 60,
      }
      await store.save('ttl', accessOnly, owner)
      const plain = new RedisTokenStore(connected.client)
      t.equal(plain.tokenKey('k'), 'undici-oauth:{k}', 'the default prefix')
      t.ok(await connected.rawGet(store.tokenKey('ttl')), 'stored')
      t.notOk(await connected.rawGet(`${store.tokenKey('ttl')}:lock`), 'lock gone')
      const lasting = (await store.lock('lasting', 1_000))!
      await store.save('lasting', userToken(8), lasting)
      t.equal(
        Number(await connected.send(['PTTL', store.tokenKey('lasting')])),
        -1,
        'with a refresh token: no TTL',
      )
      const ttl = Number(await connected.send(['PTTL', store.tokenKey('ttl')]))
      t.ok(ttl > 55_000 && ttl <= 60_000, `PX until the access token expires (${ttl})`)
    })

    t.test('encryptionKey: the raw value holds no token bytes; the right key reads it back', async t => {
      const key = randomBytes(32)
      const encrypted = new RedisTokenStore(connected.client, { prefix: `enc-${kind}:`, encryptionKey: key })
      const token = userToken(6)
      t.ok(await encrypted.save('e', token, (await encrypted.lock('e', 1_000))!))
      const raw = (await connected.rawGet(encrypted.tokenKey('e')))!
      t.match(raw, /^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWE with no encrypted key (dir)')
      for (const secret of [token.access_token, token.refresh_token!]) {
        t.notOk(raw.includes(secret), 'no token in the raw value')
        t.notOk(raw.includes(Buffer.from(secret).toString('base64url')), 'nor in base64url')
        t.notOk(Buffer.from(raw).includes(Buffer.from(secret)), 'no byte sequence of it')
      }
      t.same(await encrypted.get('e'), token)
      const asKeyObject = new RedisTokenStore(connected.client, {
        prefix: `enc-${kind}:`,
        encryptionKey: createSecretKey(key),
      })
      t.same(await asKeyObject.get('e'), token, 'a KeyObject of the same bytes')

      const wrongKey = new RedisTokenStore(connected.client, {
        prefix: `enc-${kind}:`,
        encryptionKey: randomBytes(32),
      })
      const err = await wrongKey.get('e').catch((e: unknown) => e)
      t.type(err, TokenStoreError)
      t.match(err, { code: 'ERR_OAUTH_TOKEN_STORE', message: /does not decrypt with this encryptionKey/ })
      const noKey = new RedisTokenStore(connected.client, { prefix: `enc-${kind}:` })
      await t.rejects(noKey.get('e'), { code: 'ERR_OAUTH_TOKEN_STORE', message: /not JSON/ })
      // A plaintext value read by a store with a key.
      await store.save('p', token, (await store.lock('p', 1_000))!)
      const keyed = new RedisTokenStore(connected.client, { prefix: `test-${kind}:`, encryptionKey: key })
      await t.rejects(keyed.get('p'), { code: 'ERR_OAUTH_TOKEN_STORE' })
    })

    t.test('an encrypted value copied under another key does not decrypt there', async t => {
      const key = randomBytes(32)
      const encrypted = new RedisTokenStore(connected.client, { prefix: `copy-${kind}:`, encryptionKey: key })
      await encrypted.save('a', userToken(7), (await encrypted.lock('a', 1_000))!)
      const raw = (await connected.rawGet(encrypted.tokenKey('a')))!
      await connected.send(['SET', encrypted.tokenKey('b'), raw])
      await t.rejects(encrypted.get('b'), { code: 'ERR_OAUTH_TOKEN_STORE' })
    })

    t.test('stored values that are no token are refused, naming the key and not the value', async t => {
      await connected.send(['SET', store.tokenKey('bad1'), '"a string"'])
      await t.rejects(store.get('bad1'), { message: /'bad1' cannot be read: not a JSON object/ })
      await connected.send([
        'SET',
        store.tokenKey('bad2'),
        JSON.stringify({ access_token: 'secret-value', token_type: 'mac' }),
      ])
      const err = (await store.get('bad2').catch((e: unknown) => e)) as Error
      t.match(err, { code: 'ERR_OAUTH_TOKEN_STORE', message: /token_type must be Bearer/ })
      t.notMatch(err.message, 'secret-value')
    })
  })
}

t.test('the options are checked', async t => {
  const connected = await connect('ioredis', redis.url)
  t.teardown(() => connected.close())
  const bad: [string, () => unknown, RegExp][] = [
    ['not a client', () => new RedisTokenStore({} as never), /`client` must be an ioredis or node-redis/],
    ['null client', () => new RedisTokenStore(null as never), /got null/],
    ['options', () => new RedisTokenStore(connected.client, null as never), /`options` must be an object/],
    [
      'prefix',
      () => new RedisTokenStore(connected.client, { prefix: 1 as never }),
      /`prefix` must be a string/,
    ],
    [
      'key of 16 bytes',
      () => new RedisTokenStore(connected.client, { encryptionKey: randomBytes(16) }),
      /`encryptionKey` must be 32 bytes \(A256GCM\), got 16 bytes/,
    ],
    [
      'KeyObject of 24 bytes',
      () => new RedisTokenStore(connected.client, { encryptionKey: createSecretKey(randomBytes(24)) }),
      /got 24 bytes/,
    ],
    [
      'a string',
      () => new RedisTokenStore(connected.client, { encryptionKey: 'x'.repeat(32) as never }),
      /`encryptionKey` must be a Uint8Array or secret KeyObject of 32 bytes, got a string of length 32/,
    ],
  ]
  for (const [what, make, message] of bad) t.throws(make, { code: 'ERR_OAUTH_INVALID_OPTION', message }, what)
})
