/**
 * The `dpop` option is checked like every other (docs/oauth2.md#strict-options): a wrong type, a
 * public or symmetric key, a pair whose halves do not match, a weak or unusable key, an unknown
 * algorithm or member, or a token placement other than the header fails in the constructor with
 * an InvalidOptionError that shows no key material. DPoP-bound tokens need the option.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto'
import { exportJWK } from 'jose'
import t from 'tap'
import { InvalidOptionError } from '../../lib/errors.js'
import { AssertionClient } from '../../lib/oauth2/assertion-client.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
const x25519 = generateKeyPairSync('x25519')
const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
const privateJwk = await exportJWK(ec.privateKey)
const publicJwk = await exportJWK(ec.publicKey)

const refused: [string, unknown, RegExp][] = [
  [
    'a string',
    'yes',
    /option `dpop` must be true, a \{ privateKey, publicKey \} pair or a private JWK, got a string/,
  ],
  ['false', false, /option `dpop` must be true/],
  ['null', null, /option `dpop` must be true/],
  ['a bare KeyObject', ec.privateKey, /option `dpop` must be true/],
  ['a public JWK', publicJwk, /the JWK must be a private one/],
  [
    'a pair with a string',
    { privateKey: 'pem', publicKey: ec.publicKey },
    /dpop.privateKey` must be a CryptoKey or KeyObject/,
  ],
  [
    'halves swapped',
    { privateKey: ec.publicKey, publicKey: ec.privateKey },
    /privateKey must be a private key/,
  ],
  ['halves of two keys', { privateKey: ec.privateKey, publicKey: other.publicKey }, /not the public half/],
  ['an unknown member', { ...ec, algorithm: 'ES256' }, /unknown member `algorithm`/],
  ['an unknown alg', { ...ec, alg: 'HS256' }, /dpop.alg` must be one of ES256/],
  ['an alg the key cannot make', { ...ec, alg: 'ES384' }, /ES384 needs an EC key on curve secp384r1/],
  ['a 1024-bit RSA key', weakRsa, /at least 2048 bits/],
  ['an RSA-PSS-only key', pss, /a rsa-pss key cannot sign DPoP proofs/],
  ['an X25519 key', x25519, /a x25519 key cannot sign DPoP proofs/],
  ['a secp256k1 key', secp256k1, /a ec key cannot sign DPoP proofs/],
  ['a secret JWK', { kty: 'oct', k: 'c2VjcmV0', d: 'x' }, /option `dpop`/],
]

t.test('bad dpop options are refused in the constructor, without key material', async t => {
  for (const [what, dpop, message] of refused) {
    let err: unknown
    try {
      new OAuth2Client({ dpop } as OAuth2ClientOptions)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof InvalidOptionError, `${what}: InvalidOptionError`)
    t.match((err as Error).message, message, what)
    t.notMatch((err as Error).message, privateJwk.d!, `${what}: no key material`)
  }
  t.throws(
    () =>
      new OAuth2Client({ dpop: { privateKey: createSecretKey(Buffer.alloc(32)), publicKey: ec.publicKey } }),
    { code: 'ERR_OAUTH_INVALID_OPTION' },
  )
})

t.test('dpop needs the header placement (RFC 9449 §7.1)', async t => {
  for (const tokenPlacement of ['uri', 'body'] as const) {
    t.throws(() => new OAuth2Client({ dpop: true, tokenPlacement }), {
      code: 'ERR_OAUTH_INVALID_OPTION',
      message: /tokenPlacement/,
    })
  }
})

t.test('a DPoP-bound token needs the option; with it, any case of DPoP is accepted', async t => {
  const token = { access_token: 'at', token_type: 'DPoP', expires_in: 60 }
  t.throws(() => new OAuth2Client({ token }), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: /needs a DPoP key/,
  })
  const c = new OAuth2Client({ token: { ...token, token_type: 'dpop' }, dpop: true })
  t.teardown(() => c.close())
  t.equal(c.token?.token_type, 'dpop')
  t.type(c.dpopThumbprint, 'string')
  t.equal(new OAuth2Client({}).dpopThumbprint, undefined, 'no thumbprint without the option')
})

t.test('dpop_jkt comes from the option, never from extraParams', async t => {
  const c = new OAuth2Client({
    clientId: 'app',
    authorizationEndpoint: 'https://as.example/auth',
    dpop: true,
  })
  t.teardown(() => c.close())
  t.throws(() => c.createAuthorizationUrl(undefined, { extraParams: { dpop_jkt: 'x' } }), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
  })
  const plain = new OAuth2Client({ clientId: 'app', authorizationEndpoint: 'https://as.example/auth' })
  t.teardown(() => plain.close())
  const url = new URL(plain.createAuthorizationUrl(undefined, { extraParams: { dpop_jkt: 'mine' } }).url)
  t.equal(url.searchParams.get('dpop_jkt'), 'mine', 'without the option, extraParams may carry one')
  t.equal(new URL(plain.createAuthorizationUrl().url).searchParams.has('dpop_jkt'), false)
})

t.test('AssertionClient takes the option too', async t => {
  const c = new AssertionClient({
    tokenEndpoint: 'https://as.example/token',
    issuer: 'robot',
    key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    dpop: privateJwk,
  })
  t.teardown(() => c.close())
  t.type(c.dpopThumbprint, 'string')
  t.throws(
    () =>
      new AssertionClient({
        tokenEndpoint: 'https://as.example/token',
        issuer: 'robot',
        key: 'k',
        dpop: 1 as never,
      }),
    { code: 'ERR_OAUTH_INVALID_OPTION' },
  )
})
