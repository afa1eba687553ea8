/**
 * RFC 7523 §2.2 client authentication: every produced assertion is decoded and verified with jose,
 * for every supported algorithm and every accepted key format (issue 4, acceptance 2 and 5).
 */
import { createSecretKey, generateKeyPairSync, type KeyObject, randomBytes, webcrypto } from 'node:crypto'
import { inspect } from 'node:util'
import { decodeProtectedHeader, exportJWK, type JWTPayload, jwtVerify } from 'jose'
import t, { type Test } from 'tap'
import type { KeyLike } from '../../lib/key-like.js'
import { KeyCache, type SigningKey, toPrivateKey } from '../../lib/keys.js'
import type { ClientAuthRequest, ClientCredentials } from '../../lib/oauth2/client-auth-method.js'
import { ClientSecretJWT } from '../../lib/oauth2/client-secret-jwt.js'
import { CLIENT_ASSERTION_TYPE, signAssertion } from '../../lib/oauth2/jwt-assertion.js'
import { PrivateKeyJWT } from '../../lib/oauth2/private-key-jwt.js'

const TOKEN_ENDPOINT = 'https://as.example.com/token'
const CLIENT_ID = 'client-7523'

const newRequest = (url = TOKEN_ENDPOINT): ClientAuthRequest => ({
  method: 'POST',
  url: new URL(url),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials' }),
})

interface Checked {
  header: ReturnType<typeof decodeProtectedHeader>
  payload: JWTPayload
  request: ClientAuthRequest
}

/** Authenticates one request and verifies the assertion's signature, header and every claim. */
async function authenticate(
  t: Test,
  method: ClientSecretJWT | PrivateKeyJWT,
  client: ClientCredentials,
  verifyKey: KeyObject | Uint8Array,
  options: { url?: string; audience?: string; expiresIn?: number; typ?: string } = {},
): Promise<Checked> {
  const request = newRequest(options.url)
  const before = Math.floor(Date.now() / 1000)
  await method.authenticate(request, client)
  const after = Math.floor(Date.now() / 1000)
  const assertion = request.body.get('client_assertion')
  t.type(assertion, 'string')
  t.equal(request.body.get('client_assertion_type'), CLIENT_ASSERTION_TYPE)
  t.equal(request.body.get('client_id'), client.clientId)
  t.equal(request.body.get('grant_type'), 'client_credentials', 'other parameters untouched')

  const { payload, protectedHeader } = await jwtVerify(assertion!, verifyKey, {
    algorithms: [method.alg],
    issuer: client.clientId!,
    subject: client.clientId!,
    audience: options.audience ?? TOKEN_ENDPOINT,
  })
  t.equal(protectedHeader.alg, method.alg)
  t.equal(protectedHeader.typ, options.typ ?? 'JWT')
  t.equal(payload.iss, client.clientId)
  t.equal(payload.sub, client.clientId)
  t.equal(payload.aud, options.audience ?? TOKEN_ENDPOINT)
  t.match(payload.jti, /^[\w-]{32,}$/)
  t.ok(payload.iat! >= before - 1 && payload.iat! <= after - 1, 'iat is back-dated by one second')
  t.equal(payload.exp, payload.iat! + (options.expiresIn ?? 60))
  return { header: decodeProtectedHeader(assertion!), payload, request }
}

t.test('client_secret_jwt: HS256/384/512 with every secret format', async t => {
  const secret = randomBytes(64).toString('base64url')
  const bytes = Buffer.from(secret, 'utf8')
  const verifyKey = new Uint8Array(bytes)
  const cryptoKey = (alg: string) =>
    webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['sign'])

  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    const formats: [string, KeyLike, string | undefined][] = [
      ['string (RFC 7518 §3.2: UTF-8 octets)', secret, undefined],
      ['Uint8Array', new Uint8Array(bytes), undefined],
      ['oct JWK', { kty: 'oct', k: bytes.toString('base64url'), kid: 'oct-1' }, 'oct-1'],
      ['secret KeyObject', createSecretKey(bytes), undefined],
      ['CryptoKey', await cryptoKey(alg), undefined],
    ]
    for (const [format, clientSecret, kid] of formats) {
      await t.test(`${alg} with ${format}`, async t => {
        const method = new ClientSecretJWT(TOKEN_ENDPOINT, { alg })
        t.equal(method.name, 'client_secret_jwt')
        const { header } = await authenticate(t, method, { clientId: CLIENT_ID, clientSecret }, verifyKey)
        t.equal(header.kid, kid)
      })
    }
  }

  t.equal(new ClientSecretJWT().alg, 'HS256', 'default alg')
  t.equal(new ClientSecretJWT(undefined, { headers: { alg: 'HS384' } }).alg, 'HS384', 'alg from headers')
})

/** One key pair per algorithm family, and the WebCrypto import parameters for it. */
function keyPairFor(alg: string): {
  privateKey: KeyObject
  publicKey: KeyObject
  webAlg: webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams
} {
  const hash = `SHA-${alg.slice(2)}`
  if (alg.startsWith('RS')) return { ...rsa, webAlg: { name: 'RSASSA-PKCS1-v1_5', hash } }
  if (alg.startsWith('PS')) return { ...rsa, webAlg: { name: 'RSA-PSS', hash } }
  if (alg.startsWith('ES')) {
    const namedCurve = `P-${{ ES256: 256, ES384: 384, ES512: 521 }[alg]}`
    return { ...generateKeyPairSync('ec', { namedCurve }), webAlg: { name: 'ECDSA', namedCurve } }
  }
  return { ...ed25519, webAlg: { name: 'Ed25519' } }
}
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ed25519 = generateKeyPairSync('ed25519')

t.test('private_key_jwt: every asymmetric algorithm with every key format', async t => {
  for (const alg of [
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
    'Ed25519',
  ] as const) {
    const { privateKey, publicKey, webAlg } = keyPairFor(alg)
    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    const der = privateKey.export({ format: 'der', type: 'pkcs8' })
    const jwk = { ...(await exportJWK(privateKey)), kid: `${alg}-kid` }
    const formats: [string, KeyLike, string | undefined][] = [
      ['PKCS#8 PEM', pkcs8, undefined],
      ['PKCS#8 PEM bytes', new TextEncoder().encode(pkcs8), undefined],
      ['PKCS#8 DER bytes', new Uint8Array(der), undefined],
      ['JWK object', jwk, `${alg}-kid`],
      ['JWK JSON text', JSON.stringify(jwk), `${alg}-kid`],
      ['KeyObject', privateKey, undefined],
      ['CryptoKey', await webcrypto.subtle.importKey('pkcs8', der, webAlg, false, ['sign']), undefined],
    ]
    if (privateKey.asymmetricKeyType === 'rsa') {
      formats.push([
        'PKCS#1 PEM (BEGIN RSA PRIVATE KEY)',
        privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
        undefined,
      ])
    }
    if (privateKey.asymmetricKeyType === 'ec') {
      formats.push([
        'SEC1 PEM (BEGIN EC PRIVATE KEY)',
        privateKey.export({ format: 'pem', type: 'sec1' }) as string,
        undefined,
      ])
    }
    for (const [format, key, kid] of formats) {
      await t.test(`${alg} with ${format}`, async t => {
        // The key as options.key, and as the client secret (API.md §2: it may hold the private key).
        const viaOption = new PrivateKeyJWT(TOKEN_ENDPOINT, { alg, key })
        t.equal(viaOption.name, 'private_key_jwt')
        const a = await authenticate(t, viaOption, { clientId: CLIENT_ID }, publicKey)
        t.equal(a.header.kid, kid)
        const viaSecret = new PrivateKeyJWT(TOKEN_ENDPOINT, { alg })
        const b = await authenticate(t, viaSecret, { clientId: CLIENT_ID, clientSecret: key }, publicKey)
        t.equal(b.header.kid, kid)
      })
    }
  }
  t.equal(new PrivateKeyJWT().alg, 'RS256', 'default alg')
})

t.test('kid, typ, extra claims and headers', async t => {
  const jwk = { ...(await exportJWK(rsa.privateKey)), kid: 'from-jwk' }
  const publicKey = rsa.publicKey

  const fromOption = await authenticate(
    t,
    new PrivateKeyJWT(TOKEN_ENDPOINT, { key: jwk, kid: 'from-option' }),
    { clientId: CLIENT_ID },
    publicKey,
  )
  t.equal(fromOption.header.kid, 'from-option', 'the kid option wins over the JWK kid')
  const fromHeaders = await authenticate(
    t,
    new PrivateKeyJWT(TOKEN_ENDPOINT, {
      key: jwk,
      headers: { kid: 'from-headers', typ: 'custom+jwt', x5t: 'abc' },
    }),
    { clientId: CLIENT_ID },
    publicKey,
    { typ: 'custom+jwt' },
  )
  t.equal(fromHeaders.header.kid, 'from-headers')
  t.equal(fromHeaders.header['x5t'], 'abc')

  const claims = { jti: 'caller-jti', iss: 'someone-else', scope: 'a b', nested: { x: 1 } }
  const method = new PrivateKeyJWT(TOKEN_ENDPOINT, { key: rsa.privateKey, claims, expiresIn: 300 })
  const jtis = new Set<string>()
  for (let i = 0; i < 5; i++) {
    const { payload } = await authenticate(t, method, { clientId: CLIENT_ID }, publicKey, { expiresIn: 300 })
    t.equal(payload['scope'], 'a b', 'extra claims are included')
    t.same(payload['nested'], { x: 1 })
    t.not(payload.jti, 'caller-jti', 'a jti in claims is never reused')
    jtis.add(payload.jti!)
  }
  t.equal(jtis.size, 5, 'five calls, five distinct jti')
  t.same(
    claims,
    { jti: 'caller-jti', iss: 'someone-else', scope: 'a b', nested: { x: 1 } },
    'caller claims untouched',
  )

  const secretJwt = new ClientSecretJWT(TOKEN_ENDPOINT, { claims: { jti: 'fixed' } })
  const seen = new Set<string>()
  for (let i = 0; i < 5; i++) {
    const { payload } = await authenticate(
      t,
      secretJwt,
      { clientId: CLIENT_ID, clientSecret: 's3cret' },
      new TextEncoder().encode('s3cret'),
    )
    seen.add(payload.jti!)
  }
  t.equal(seen.size, 5)
})

t.test('aud is the URL being called when no token endpoint is configured', async t => {
  const method = new ClientSecretJWT()
  const url = 'https://as.example.com/oauth/revoke?x=1#frag'
  await authenticate(
    t,
    method,
    { clientId: CLIENT_ID, clientSecret: 's3cret' },
    new TextEncoder().encode('s3cret'),
    {
      url,
      audience: 'https://as.example.com/oauth/revoke?x=1',
    },
  )
})

t.test('one authentication mechanism per request (RFC 6749 §2.3)', async t => {
  const request = newRequest()
  request.body.set('client_secret', 'leftover')
  request.body.set('client_id', 'other')
  request.headers['Authorization'] = 'Basic abc'
  await new ClientSecretJWT(TOKEN_ENDPOINT).authenticate(request, {
    clientId: CLIENT_ID,
    clientSecret: 's3cret',
  })
  t.equal(request.body.get('client_secret'), null)
  t.equal(request.headers['Authorization'], undefined)
  t.same(request.body.getAll('client_id'), [CLIENT_ID])
  t.equal(request.body.getAll('client_assertion').length, 1)
})

t.test('configuration errors are typed and name what was expected', async t => {
  // @ts-expect-error: the type admits only the HMAC algorithms; JavaScript callers get the TypeError
  t.throws(() => new ClientSecretJWT(TOKEN_ENDPOINT, { alg: 'RS256' }), {
    name: 'TypeError',
    message: /unsupported alg 'RS256'; expected one of HS256, HS384, HS512/,
  })
  // @ts-expect-error: the type admits only the asymmetric algorithms
  t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { alg: 'HS256' }), {
    name: 'TypeError',
    message: /expected one of RS256/,
  })
  // @ts-expect-error: 'none' is no signing algorithm
  t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { alg: 'none' }), TypeError)
  t.throws(() => new ClientSecretJWT(TOKEN_ENDPOINT, { expiresIn: 0 }), {
    message: /expiresIn must be a positive/,
  })

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { key: ec.privateKey }), {
    name: 'TypeError',
    message: 'RS256 needs an RSA key; got a ec (prime256v1) key',
  })
  t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { alg: 'ES384', key: ec.privateKey }), {
    message: 'ES384 needs an EC key on curve secp384r1; got a ec (prime256v1) key',
  })
  t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { alg: 'EdDSA', key: rsa.privateKey }), {
    message: /EdDSA needs an Ed25519 key/,
  })
  t.throws(
    () => new PrivateKeyJWT(TOKEN_ENDPOINT, { alg: 'PS256', key: generateKeyPairSync('ed448').privateKey }),
    {
      message: /PS256 needs an RSA key; got a ed448 key/,
    },
  )

  const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string
  const publicJwk = await exportJWK(rsa.publicKey)
  const publicGiven = /a public key was given where a private key is needed to sign/
  for (const [what, key, problem] of [
    ['public PEM', publicPem, publicGiven],
    ['public JWK', publicJwk, publicGiven],
    ['public KeyObject', rsa.publicKey, publicGiven],
    ['garbage string', 'not a key', /no PEM armour/],
    ['secret KeyObject', createSecretKey(randomBytes(32)), /a secret \(symmetric\) key was given/],
    ['number', 42 as unknown as KeyLike, /got number/],
  ] as const) {
    const error = t.throws(() => new PrivateKeyJWT(TOKEN_ENDPOINT, { key }), TypeError, what) as Error
    t.match(error.message, /^private_key_jwt needs a private key: /, what)
    t.match(error.message, problem, what)
    t.match(
      error.message,
      /expected a PKCS#8 or PKCS#1 PEM, a private JWK \(object or JSON text\), a KeyObject or a CryptoKey$/,
    )
    t.notMatch(error.message, /BEGIN|MII|"n"/, `${what}: no key material in the message`)
  }

  await t.rejects(new PrivateKeyJWT(TOKEN_ENDPOINT).authenticate(newRequest(), { clientId: CLIENT_ID }), {
    name: 'TypeError',
    message: /private_key_jwt needs a private key: pass options.key or the client secret/,
  })
  await t.rejects(new ClientSecretJWT(TOKEN_ENDPOINT).authenticate(newRequest(), { clientId: CLIENT_ID }), {
    message: /client_secret_jwt needs a clientSecret/,
  })
  await t.rejects(new ClientSecretJWT(TOKEN_ENDPOINT).authenticate(newRequest(), { clientSecret: 'x' }), {
    message: /client_secret_jwt needs a clientId/,
  })
  await t.rejects(
    new ClientSecretJWT(TOKEN_ENDPOINT).authenticate(newRequest(), { clientId: CLIENT_ID, clientSecret: '' }),
    {
      message: /got an empty string/,
    },
  )
  await t.rejects(
    new ClientSecretJWT(TOKEN_ENDPOINT).authenticate(newRequest(), {
      clientId: CLIENT_ID,
      clientSecret: rsa.privateKey,
    }),
    {
      message:
        "client_secret_jwt needs a client secret: a string, bytes, an 'oct' JWK, or a secret KeyObject or CryptoKey; got a private KeyObject",
    },
  )
})

t.test('no key, secret or assertion in inspect, JSON or errors (acceptance 5)', async t => {
  const secret = 'very-secret-value-0123456789'
  const pem = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string
  const methods = [
    new ClientSecretJWT(TOKEN_ENDPOINT, { claims: { scope: 'x' } }),
    new PrivateKeyJWT(TOKEN_ENDPOINT, { key: pem }),
    new PrivateKeyJWT(TOKEN_ENDPOINT, { key: await exportJWK(rsa.privateKey) }),
  ]
  const request = newRequest()
  for (const method of methods)
    await method.authenticate(request, { clientId: CLIENT_ID, clientSecret: secret })
  const assertion = request.body.get('client_assertion')!
  const privateD = (await exportJWK(rsa.privateKey)).d!
  for (const method of methods) {
    for (const shown of [
      inspect(method, { depth: 10, showHidden: true }),
      JSON.stringify(method),
      String(method),
    ]) {
      t.notMatch(shown, secret)
      t.notMatch(shown, 'PRIVATE KEY')
      t.notMatch(shown, privateD.slice(0, 20))
      t.notMatch(shown, assertion.slice(-20))
    }
  }
  t.match(
    inspect(methods[0]),
    /^ClientSecretJWT \{\s+name: 'client_secret_jwt',\s+alg: 'HS256',\s+tokenEndpoint: '.+',\s+expiresIn: 60\s+\}$/,
  )
  t.same(JSON.parse(JSON.stringify(methods[1])), {
    name: 'private_key_jwt',
    alg: 'RS256',
    tokenEndpoint: TOKEN_ENDPOINT,
    expiresIn: 60,
  })

  // An unreadable PEM that looks like a key: the error names its kind, not its content.
  const broken = `${pem.slice(0, 300)}\n-----END RSA PRIVATE KEY-----\n`
  const error = t.throws(() => toPrivateKey(broken)) as Error
  t.notMatch(error.message + String(error.cause), /MII|BEGIN/)
  t.match(error.message, /got a PEM labelled RSA PRIVATE KEY that could not be read/)
})

t.test('keys are imported once per distinct input', async t => {
  let imports = 0
  const cache = new KeyCache((input: KeyLike): SigningKey => {
    imports++
    return toPrivateKey(input)
  })
  const pem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const jwk = await exportJWK(rsa.privateKey)
  const first = cache.get(pem)
  t.equal(cache.get(pem), first, 'same string, same KeyObject')
  t.equal(cache.get(`${pem}`), first, 'equal string')
  t.equal(imports, 1)
  const fromJwk = cache.get(jwk)
  t.equal(cache.get(jwk), fromJwk, 'same object, same KeyObject')
  t.equal(imports, 2)
  const bytes = new Uint8Array(rsa.privateKey.export({ format: 'der', type: 'pkcs8' }))
  cache.get(bytes)
  cache.get(new Uint8Array(bytes))
  t.equal(imports, 3, 'equal bytes are not imported again')
  bytes.fill(0, 0, 4)
  t.throws(() => cache.get(bytes), TypeError, 'changed bytes are imported again (and fail)')
  t.equal(imports, 4)

  // Through a method: many calls, one import.
  const method = new PrivateKeyJWT(TOKEN_ENDPOINT)
  const jtis = new Set<string>()
  for (let i = 0; i < 3; i++) {
    const request = newRequest()
    await method.authenticate(request, { clientId: CLIENT_ID, clientSecret: pem })
    jtis.add(request.body.get('client_assertion')!)
  }
  t.equal(jtis.size, 3)
})

t.test('signAssertion without a subject (for the jwt-bearer grant, RFC 7523 §2.1)', async t => {
  const assertion = await signAssertion({
    issuer: 'service@example.com',
    audience: TOKEN_ENDPOINT,
    key: toPrivateKey(rsa.privateKey),
    alg: 'RS256',
    claims: { scope: 'read' },
    expiresIn: 3600,
  })
  const { payload, protectedHeader } = await jwtVerify(assertion, rsa.publicKey, { audience: TOKEN_ENDPOINT })
  t.equal(payload.sub, undefined)
  t.equal(payload.iss, 'service@example.com')
  t.equal(payload['scope'], 'read')
  t.equal(payload.exp, payload.iat! + 3600)
  t.same(protectedHeader, { typ: 'JWT', alg: 'RS256' })
})
