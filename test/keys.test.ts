/**
 * The one key importer (lib/keys.ts), through every path that reads key text: toPrivateKey,
 * PrivateKeyJWT, AssertionClient, OAuth1Client and the OAuth 1 signer.
 * - Issue 11 item 7: no part of key material in any error message, cause chain, inspect or JSON
 *   (V8's JSON.parse error quoted ~10 characters of a malformed JWK string's private key).
 * - RSA keys under 2048 bits are refused for RS*, PS* and RSA-SHA* (RFC 7518 §3.3).
 * - Issue 12: each unreadable key names its case; a PEM with `\n` escapes (as env vars hold it) is read.
 */
import { generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import t from 'tap'
import type { KeyLike } from '../lib/key-like.js'
import { MIN_RSA_MODULUS_BITS, toPrivateKey, unescapePem } from '../lib/keys.js'
import { OAuth1Client } from '../lib/oauth1/client.js'
import { createSigner, type SignatureMethod } from '../lib/oauth1/signature.js'
import { AssertionClient } from '../lib/oauth2/assertion-client.js'
import { PrivateKeyJWT } from '../lib/oauth2/private-key-jwt.js'
import { keyMaterial, leakedPart, thrownBy } from './fixtures/key-leak.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pkcs8 = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const pkcs1 = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string
const jwkText = JSON.stringify(rsa.privateKey.export({ format: 'jwk' }))
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })

/** Every way a key reaches the importer, each building whatever reads it. */
const IMPORTERS: [string, (key: KeyLike) => unknown][] = [
  ['toPrivateKey', key => toPrivateKey(key)],
  ['PrivateKeyJWT key', key => new PrivateKeyJWT('https://as.example/token', { key })],
  [
    'AssertionClient key',
    key => new AssertionClient({ tokenEndpoint: 'https://as.example/token', issuer: 'svc', key }),
  ],
  [
    'OAuth1Client rsaKey',
    key => new OAuth1Client({ clientId: 'c', signatureMethod: 'RSA-SHA256', rsaKey: key }),
  ],
  ['OAuth 1 signer', key => createSigner('RSA-SHA1', { rsaKey: key })],
]

const bodyOf = (pem: string) => keyMaterial(pem).join('\n')
const encrypted8 = rsa.privateKey.export({
  format: 'pem',
  type: 'pkcs8',
  cipher: 'aes-256-cbc',
  passphrase: 'test passphrase',
}) as string
const encrypted1 = rsa.privateKey.export({
  format: 'pem',
  type: 'pkcs1',
  cipher: 'aes-256-cbc',
  passphrase: 'test passphrase',
}) as string
const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string

/** [what, key text, the case its message must name] */
const BROKEN: [string, string, RegExp][] = [
  // V8: `Unexpected token 'C', ..."AQAB","d":CkuOgjiU91"... is not valid JSON`: it quotes the key.
  [
    'JWK JSON with a quote missing',
    jwkText.replace('"d":"', '"d":'),
    /starts with '\{' but is not valid JSON/,
  ],
  ['JWK JSON cut short', jwkText.slice(0, 400), /not valid JSON/],
  ['JWK JSON with text after it', `${jwkText}}`, /not valid JSON/],
  ['JWK JSON with a bad separator', jwkText.replace('","e"', '"x"e"'), /not valid JSON/],
  ['JSON that is not a JWK', JSON.stringify({ d: JSON.parse(jwkText).d }), /not a JWK \(no "kty" member\)/],
  [
    'private JWK with a broken member',
    JSON.stringify({ ...JSON.parse(jwkText), n: 42 }),
    /private JWK that could not be read/,
  ],
  [
    'public JWK text',
    JSON.stringify(rsa.publicKey.export({ format: 'jwk' })),
    /a public key was given where a private key is needed to sign \(a JWK without "d"\)/,
  ],
  [
    'secret JWK text',
    JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LXRoYXQtaXMtbG9uZw' }),
    /a secret \(symmetric\) key/,
  ],
  ['PEM cut short', pkcs8.slice(0, 600), /a PEM labelled PRIVATE KEY that could not be read/],
  [
    'PEM with a damaged body',
    pkcs1.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!!!!!!!!!!!!!!!!!'),
    /a PEM labelled RSA PRIVATE KEY that could not be read/,
  ],
  ['PEM body without armour', bodyOf(pkcs8), /no PEM armour/],
  [
    'public key PEM',
    publicPem,
    /a public key was given where a private key is needed to sign \(a PEM labelled PUBLIC KEY\)/,
  ],
  [
    'PKCS#1 public key PEM',
    rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }) as string,
    /a public key was given where .* \(a PEM labelled RSA PUBLIC KEY\)/,
  ],
  [
    'certificate PEM',
    `-----BEGIN CERTIFICATE-----\n${bodyOf(publicPem)}\n-----END CERTIFICATE-----\n`,
    /a public key was given where .* \(a certificate, which holds only the public key\)/,
  ],
  [
    'encrypted PKCS#8 PEM',
    encrypted8,
    /encrypted private key, and there is no passphrase option: decrypt it first/,
  ],
  ['encrypted PKCS#1 PEM', encrypted1, /encrypted private key/],
  [
    'OpenSSH PEM label',
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${bodyOf(pkcs8)}\n-----END OPENSSH PRIVATE KEY-----\n`,
    /a PEM labelled OPENSSH PRIVATE KEY, which is not a private key label \(PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY\)/,
  ],
  [
    'escaped PEM cut short',
    pkcs8.slice(0, 600).replaceAll('\n', '\\n'),
    /PEM labelled PRIVATE KEY that could not/,
  ],
]

t.test(
  'issue 11 item 7: no key material in any error, cause, inspect or JSON, on every import path',
  async t => {
    for (const [what, text, problem] of BROKEN) {
      for (const [path, importKey] of IMPORTERS) {
        const error = thrownBy(() => importKey(text))
        t.type(error, TypeError, `${path}, ${what}: a TypeError`)
        t.match((error as Error).message, problem, `${path}, ${what}: names the case`)
        t.equal(leakedPart(error, text), undefined, `${path}, ${what}: no 6 characters of the key shown`)
      }
      // The same text as bytes.
      const error = thrownBy(() => toPrivateKey(Buffer.from(text)))
      t.type(error, TypeError)
      t.equal(leakedPart(error, text), undefined, `bytes, ${what}: no key material`)
    }
  },
)

t.test('a private key of the wrong type for RSA: named, never shown', async t => {
  const ecPem = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const edJwkText = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }))
  for (const [what, text, type] of [
    ['EC PEM', ecPem, /ec/],
    ['Ed25519 JWK text', edJwkText, /ed25519/],
  ] as const) {
    // toPrivateKey itself accepts any private key; the RSA importers refuse these.
    for (const [path, importKey] of IMPORTERS.slice(1)) {
      const error = thrownBy(() => importKey(text))
      t.type(error, TypeError, `${path}, ${what}`)
      t.match((error as Error).message, /needs an RSA key|must be an RSA private key/, `${path}, ${what}`)
      t.match((error as Error).message, type, `${path}, ${what}: names the type found`)
      t.equal(leakedPart(error, text), undefined, `${path}, ${what}: no key material`)
    }
  }
})

t.test('the leak check itself finds a quoted key (it would have caught the JSON.parse cause)', async t => {
  const text = jwkText.replace('"d":"', '"d":')
  const parseError = thrownBy(() => JSON.parse(text))
  t.type(parseError, SyntaxError)
  t.type(
    leakedPart(new TypeError('wrapper', { cause: parseError }), text),
    'string',
    'V8 quotes the text, so a kept cause leaks',
  )
  t.equal(leakedPart(new TypeError('wrapper'), text), undefined)
})

t.test('each other unreadable input names what it is', async t => {
  const cases: [string, unknown, RegExp][] = [
    ['empty string', '', /got an empty string/],
    ['number', 42, /got number/],
    ['null', null, /got null/],
    ['object that is not a JWK', { d: 'x' }, /got an object/],
    ['public KeyObject', rsa.publicKey, /a public key was given where .* \(a public KeyObject\)/],
    [
      'DER bytes of a public key',
      rsa.publicKey.export({ format: 'der', type: 'spki' }),
      /neither PEM text nor a DER/,
    ],
    [
      'public JWK object',
      rsa.publicKey.export({ format: 'jwk' }),
      /a public key was given .* \(a JWK without "d"\)/,
    ],
    ['oct JWK object', { kty: 'oct', k: 'AAAA' }, /a secret \(symmetric\) key .* \(an 'oct' JWK\)/],
  ]
  for (const [what, input, problem] of cases) {
    const error = thrownBy(() => toPrivateKey(input as KeyLike, 'option `key`')) as Error
    t.type(error, TypeError, what)
    t.match(error.message, /^option `key` needs a private key: /, what)
    t.match(error.message, problem, what)
    t.match(error.message, /; expected a PKCS#8 or PKCS#1 PEM, a private JWK/, what)
    t.equal(error.cause, undefined, `${what}: no cause`)
  }
  const publicCryptoKey = await crypto.subtle.importKey(
    'spki',
    rsa.publicKey.export({ format: 'der', type: 'spki' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['verify'],
  )
  t.throws(() => toPrivateKey(publicCryptoKey), {
    message: /a public key was given where a private key is needed to sign \(a public CryptoKey\)/,
  })
})

/** Signs with what the importer made of `input` and verifies with the original public key. */
function signsLikeTheOriginal(input: KeyLike): boolean {
  const { key } = toPrivateKey(input)
  return verify('sha256', Buffer.from('data'), rsa.publicKey, sign('sha256', Buffer.from('data'), key))
}

t.test('issue 12: a PEM with literal \\n escapes (an environment variable) is accepted', async t => {
  const escaped8 = pkcs8.replaceAll('\n', '\\n')
  const escaped1 = pkcs1.replaceAll('\n', '\\n')
  t.notOk(escaped8.includes('\n'), 'the escaped text has no real newline')
  for (const [what, input] of [
    ['PKCS#8', escaped8],
    ['PKCS#1', escaped1],
    ['with \\r\\n escapes', pkcs8.replaceAll('\n', '\\r\\n')],
    ['surrounded by blanks', `  ${escaped8}  `],
    ['as bytes', Buffer.from(escaped1)],
  ] as const) {
    t.ok(signsLikeTheOriginal(input), `${what}: the same key`)
  }
  for (const [path, importKey] of IMPORTERS) {
    t.doesNotThrow(() => importKey(escaped8), `${path} accepts it`)
  }
  const signer = createSigner('RSA-SHA256', { rsaKey: escaped1 })
  t.ok(
    verify('sha256', Buffer.from('base'), rsa.publicKey, Buffer.from(signer.sign('base'), 'base64')),
    'an OAuth 1 signature made with the escaped PEM verifies',
  )
})

t.test('unescapePem only touches armoured text without real line breaks', async t => {
  t.equal(unescapePem(pkcs8), pkcs8, 'a normal PEM is unchanged')
  t.equal(unescapePem('a\\nb'), 'a\\nb', 'text without armour is unchanged')
  const mixed = `${pkcs8.slice(0, 40)}\\n${pkcs8.slice(40)}`
  t.equal(unescapePem(mixed), mixed, 'text with a real newline is unchanged')
  t.equal(unescapePem('-----BEGIN X-----'), '-----BEGIN X-----', 'nothing to unescape')
  t.equal(unescapePem('-----BEGIN X-----\\nAB\\r\\nCD'), '-----BEGIN X-----\nAB\nCD')
})

t.test('RSA keys under 2048 bits are refused for RS*, PS* and RSA-SHA*', async t => {
  t.equal(MIN_RSA_MODULUS_BITS, 2048)
  // Generated here, never committed.
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
  const weakPss = generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey
  const size =
    /needs an RSA key of at least 2048 bits \(RFC 7518 §3\.3, NIST SP 800-131A\); got a 1024-bit key/
  const forms: [string, KeyLike][] = [
    ['KeyObject', weak],
    ['PEM', weak.export({ format: 'pem', type: 'pkcs8' }) as string],
    ['JWK', weak.export({ format: 'jwk' })],
  ]
  for (const [form, key] of forms) {
    for (const alg of ['RS256', 'RS512', 'PS256', 'PS384'] as const) {
      t.throws(
        () => new PrivateKeyJWT('https://as.example/token', { alg, key }),
        { name: 'TypeError', message: new RegExp(`^${alg} ${size.source}`) },
        `${form}, ${alg}`,
      )
    }
    for (const method of ['RSA-SHA1', 'RSA-SHA256', 'RSA-SHA512'] as SignatureMethod[]) {
      t.throws(
        () => createSigner(method, { rsaKey: key }),
        { name: 'TypeError', message: new RegExp(`^rsaKey for ${method} ${size.source}`) },
        `${form}, ${method}`,
      )
    }
    t.throws(() => new OAuth1Client({ clientId: 'c', signatureMethod: 'RSA-SHA1', rsaKey: key }), {
      name: 'TypeError',
      message: size,
    })
    t.throws(() => new AssertionClient({ tokenEndpoint: 'https://as.example/token', issuer: 'svc', key }), {
      name: 'TypeError',
      message: new RegExp(`option \`key\` does not fit header.alg: RS256 ${size.source}`),
    })
  }
  t.throws(() => new PrivateKeyJWT('https://as.example/token', { alg: 'PS256', key: weakPss }), {
    message: size,
  })
  t.throws(() => createSigner('RSA-SHA256', { rsaKey: weakPss }), {
    message: 'rsaKey for RSA-SHA256 must be an RSA private key; got a private rsa-pss key',
  })
  // 2048 bits is enough, and EC keys have no modulus to check.
  t.doesNotThrow(() => new PrivateKeyJWT('https://as.example/token', { alg: 'PS256', key: rsa.privateKey }))
  t.doesNotThrow(() => createSigner('RSA-SHA512', { rsaKey: rsa.privateKey }))
  t.doesNotThrow(() => new PrivateKeyJWT('https://as.example/token', { alg: 'ES256', key: ec.privateKey }))
})

t.test('every accepted form still imports, with the JWK kid', async t => {
  const jwk = { ...(rsa.privateKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: 'k1' }
  const forms: [string, KeyLike, string | undefined][] = [
    ['PKCS#8 PEM', pkcs8, undefined],
    ['PKCS#1 PEM', pkcs1, undefined],
    ['JWK object', jwk, 'k1'],
    ['JWK text', JSON.stringify(jwk), 'k1'],
    ['DER bytes', rsa.privateKey.export({ format: 'der', type: 'pkcs8' }), undefined],
    ['KeyObject', rsa.privateKey, undefined],
  ]
  for (const [what, input, kid] of forms) {
    t.ok(signsLikeTheOriginal(input), what)
    t.equal(toPrivateKey(input).kid, kid, `${what}: kid`)
  }
  const sec1 = ec.privateKey.export({ format: 'pem', type: 'sec1' }) as string
  t.equal((toPrivateKey(sec1).key as KeyObject).asymmetricKeyType, 'ec', 'SEC1 EC PEM')
})
