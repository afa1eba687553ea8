/**
 * DPoP (RFC 9449) on the wire, against scripted loopback servers: the proofs each algorithm signs
 * (verified with jose), their claims on token and resource requests, the token endpoint's single
 * nonce repeat (§8), the DPoP invalid_token renewal beside the nonce repeat, Bearer tokens left
 * alone, and the thumbprint against jose's.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  exportJWK,
  type JWK,
  jwtVerify,
} from 'jose'
import t from 'tap'
import { request } from 'undici'
import { OAuthError } from '../../lib/errors.js'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import { readDpopOption } from '../../lib/oauth2/dpop.js'
import { NonceCache, nonceIn } from '../../lib/oauth2/dpop-nonce.js'
import { accessTokenHash } from '../../lib/oauth2/dpop-proofs.js'
import { oauthError } from '../fixtures/match.js'
import { json, ok, type RecordingServer, redirectTo, type Seen, start } from '../fixtures/recording-server.js'

const server: RecordingServer = await start()
t.teardown(() => server.close())

const dpopToken = { access_token: 'at-dpop-1', token_type: 'DPoP', expires_in: 3600 }

function client(options: OAuth2ClientOptions = {}): OAuth2Client {
  const c = new OAuth2Client({
    clientId: 'app',
    clientSecret: 'app-secret',
    tokenEndpoint: `${server.url}/token?tenant=a`,
    grantType: 'client_credentials',
    dpop: true,
    ...options,
  })
  t.teardown(() => c.close())
  return c
}

async function verifiedProof(seen: Seen) {
  const proof = seen.headers.dpop
  if (typeof proof !== 'string') throw new Error('no DPoP header')
  return jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
}

function pair(
  type: 'ec' | 'ed25519' | 'rsa',
  extra: object = {},
): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync(type as 'ec', extra as { namedCurve: string })
}

t.test('every algorithm signs proofs jose verifies, with the thumbprint jose computes', async t => {
  const rsa = pair('rsa', { modulusLength: 2048 })
  const cases: [string, object, string][] = [
    ['ES256', pair('ec', { namedCurve: 'P-256' }), 'ES256'],
    ['ES384', pair('ec', { namedCurve: 'P-384' }), 'ES384'],
    ['ES512', pair('ec', { namedCurve: 'P-521' }), 'ES512'],
    ['EdDSA', pair('ed25519'), 'EdDSA'],
    ['Ed25519', { ...pair('ed25519'), alg: 'Ed25519' }, 'Ed25519'],
    ['RS256 by default', rsa, 'RS256'],
    ['RS512', { ...rsa, alg: 'RS512' }, 'RS512'],
    ['PS256', { ...rsa, alg: 'PS256' }, 'PS256'],
    ['PS384', { ...rsa, alg: 'PS384' }, 'PS384'],
    ['PS512', { ...rsa, alg: 'PS512' }, 'PS512'],
  ]
  for (const [what, dpop, alg] of cases) {
    server.respond((_request, res) => json(res, { ok: true }))
    const c = client({ dpop: dpop as OAuth2ClientOptions['dpop'], token: dpopToken })
    const before = server.seen.length
    const { body } = await c.get(`${server.url}/api/thing?x=1`)
    await body.dump()
    const seen = server.seen[before]!
    const { protectedHeader, payload } = await verifiedProof(seen)
    t.equal(protectedHeader.alg, alg, `${what}: alg`)
    t.equal(c.dpopThumbprint, await calculateJwkThumbprint(protectedHeader.jwk!), `${what}: thumbprint`)
    t.equal(payload.htu, `${server.url}/api/thing`, `${what}: htu without the query`)
    t.equal(seen.headers.authorization, 'DPoP at-dpop-1', `${what}: DPoP scheme`)
  }
})

t.test('a WebCrypto key pair and a private JWK are accepted', async t => {
  const webcrypto = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const fromCrypto = client({ dpop: webcrypto, token: dpopToken })
  const jwk = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)
  const fromJwk = client({ dpop: { ...jwk, alg: 'ES384' } as JWK, token: dpopToken })
  server.respond((_request, res) => json(res, { ok: true }))
  for (const c of [fromCrypto, fromJwk]) {
    const before = server.seen.length
    await (await c.get(`${server.url}/x`)).body.dump()
    await verifiedProof(server.seen[before]!)
  }
  const { d: _private, ...publicJwk } = jwk
  t.equal(fromJwk.dpopThumbprint, await calculateJwkThumbprint(publicJwk))
})

t.test('a token request: its proof, the nonce repeat once, and the resource proof with ath', async t => {
  let tokenCalls = 0
  server.respond((request, res) => {
    if (request.url.startsWith('/token')) {
      tokenCalls++
      if (decodeJwt(request.headers.dpop as string).nonce !== 'n-1') {
        res.setHeader('dpop-nonce', 'n-1')
        return json(res, { error: 'use_dpop_nonce', error_description: 'nonce required' }, 400)
      }
      return json(res, dpopToken)
    }
    return json(res, { ok: true })
  })
  const c = client()
  const before = server.seen.length
  const { body } = await c.get(`${server.url}/api/v1?q=1`)
  await body.dump()
  t.equal(tokenCalls, 2, 'one repeat with the nonce')
  const [first, second, resource] = server.seen.slice(before)
  const proofs = [first!, second!].map(seen => decodeJwt(seen.headers.dpop as string))
  t.equal(proofs[0]!.nonce, undefined, 'first attempt without a nonce')
  t.equal(proofs[1]!.nonce, 'n-1', 'the repeat with it')
  t.not(proofs[0]!.jti, proofs[1]!.jti, 'a fresh jti')
  t.equal(proofs[1]!.htm, 'POST')
  t.equal(proofs[1]!.htu, `${server.url}/token`, 'htu of the token endpoint, no query')
  t.equal(proofs[1]!.ath, undefined)
  const header = decodeProtectedHeader(first!.headers.dpop as string)
  t.same(Object.keys(header.jwk!).sort(), ['crv', 'kty', 'x', 'y'], 'only the public members')
  const { payload } = await verifiedProof(resource!)
  t.equal(payload.ath, accessTokenHash(dpopToken.access_token))
  t.equal(payload.htm, 'GET')
  t.equal(payload.nonce, undefined, "the authorization server's nonce is not the resource's")
  t.type(payload.iat, 'number')
})

t.test('a token endpoint answering use_dpop_nonce forever: one repeat, then its error', async t => {
  let calls = 0
  server.respond((_request, res) => {
    calls++
    res.setHeader('dpop-nonce', `n-${calls}`)
    json(res, { error: 'use_dpop_nonce' }, 400)
  })
  const c = client()
  const err = await c.fetchToken().catch((e: unknown) => e)
  t.ok(err instanceof OAuthError && err.error === 'use_dpop_nonce', 'the second answer is the error')
  t.equal(calls, 2)
  // Without a DPoP-Nonce there is nothing new to send: no repeat.
  calls = 0
  server.respond((_request, res) => {
    calls++
    json(res, { error: 'use_dpop_nonce' }, 400)
  })
  await t.rejects(c.fetchToken(), oauthError('use_dpop_nonce'))
  t.equal(calls, 1)
  // A 400 that is not JSON names no error: not repeated either.
  calls = 0
  server.respond((_request, res) => {
    calls++
    res.statusCode = 400
    res.setHeader('dpop-nonce', 'n-x')
    res.end('<html>bad request</html>')
  })
  await t.rejects(c.fetchToken())
  t.equal(calls, 1)
})

t.test('a DPoP-bound token challenged invalid_token is renewed once, beside the nonce repeat', async t => {
  let serial = 0
  const seenAuth: string[] = []
  server.respond((request, res) => {
    if (request.url.startsWith('/token')) return json(res, { ...dpopToken, access_token: `at-${++serial}` })
    seenAuth.push(request.headers.authorization as string)
    const proof = decodeJwt(request.headers.dpop as string)
    if (proof.nonce !== 'rs-1') {
      res.statusCode = 401
      res.setHeader('dpop-nonce', 'rs-1')
      res.setHeader('www-authenticate', 'DPoP error="use_dpop_nonce"')
      return res.end()
    }
    if (request.headers.authorization === 'DPoP at-1') {
      res.statusCode = 401
      res.setHeader('www-authenticate', 'DPoP error="invalid_token"')
      return res.end()
    }
    return json(res, { ok: true })
  })
  const c = client()
  const { statusCode, body } = await c.get(`${server.url}/r`)
  await body.dump()
  t.equal(statusCode, 200)
  t.same(seenAuth, ['DPoP at-1', 'DPoP at-1', 'DPoP at-2'], 'nonce repeat, then renewal and retry')
})

t.test('with dpop on, a Bearer token is sent as Bearer without a proof', async t => {
  server.respond((_request, res) => json(res, { ok: true }))
  const c = client({ token: { access_token: 'at-bearer', token_type: 'Bearer', expires_in: 3600 } })
  const before = server.seen.length
  await (await c.get(`${server.url}/b`)).body.dump()
  const seen = server.seen[before]!
  t.equal(seen.headers.authorization, 'Bearer at-bearer')
  t.equal(seen.headers.dpop, undefined)
})

t.test('the protected_request hook runs first: the proof signs the rewritten request', async t => {
  server.respond((_request, res) => json(res, { ok: true }))
  const c = client({ token: dpopToken })
  c.registerComplianceHook('protected_request', async hooked => ({
    ...hooked,
    url: hooked.url.replace('/old', '/new'),
  }))
  const before = server.seen.length
  await (await c.get(`${server.url}/old?a=1`)).body.dump()
  const seen = server.seen[before]!
  t.equal(seen.url, '/new?a=1')
  t.equal((await verifiedProof(seen)).payload.htu, `${server.url}/new`)
})

t.test('the dispatcher path through undici.request carries the proof', async t => {
  server.respond((_request, res) => json(res, { ok: true }))
  const c = client({ token: dpopToken })
  const before = server.seen.length
  await (await request(`${server.url}/via/dispatcher?z=9`, { dispatcher: c.dispatcher })).body.dump()
  t.equal((await verifiedProof(server.seen[before]!)).payload.htu, `${server.url}/via/dispatcher`)
})

/** Calls the credentials step directly with a plain PreparedRequest, as a subclass may. */
class Direct extends OAuth2Client {
  sign(request: PreparedRequest): void | Promise<void> {
    return this.authorize(request)
  }
}

t.test('a plain PreparedRequest gets a proof too', async t => {
  const c = new Direct({ dpop: true, token: dpopToken })
  t.teardown(() => c.close())
  const prepared: PreparedRequest = {
    method: 'PUT',
    url: new URL('https://api.example/v1/x?y=2#f'),
    headers: {},
    body: null,
    form: undefined,
  }
  await c.sign(prepared)
  const claims = decodeJwt(prepared.headers.dpop as string)
  t.equal(claims.htu, 'https://api.example/v1/x')
  t.equal(claims.htm, 'PUT')
})

t.test('nonces: only well-formed values are kept, per origin, in a bounded cache', async t => {
  t.equal(nonceIn({ 'dpop-nonce': 'abc' }), 'abc')
  t.equal(nonceIn({ 'dpop-nonce': 'a"b' }), undefined, 'a quote is not an NQCHAR')
  t.equal(nonceIn({ 'dpop-nonce': '' }), undefined)
  t.equal(nonceIn({ 'dpop-nonce': ['first', 'second'] }), 'first')
  const cache = new NonceCache()
  t.equal(cache.learn('https://a', {}), false)
  t.equal(cache.learn('https://a', { 'dpop-nonce': 'n' }), true)
  t.equal(cache.get('https://a'), 'n')
  for (let i = 0; i < 256; i++) cache.learn(`https://h${i}`, { 'dpop-nonce': 'x' })
  t.equal(cache.get('https://a'), undefined, 'past 256 origins it starts over')
  t.equal(cache.get('https://h255'), 'x')
})

t.test('the thumbprint is RFC 7638 for EC, OKP and RSA keys', async t => {
  for (const keys of [
    pair('ec', { namedCurve: 'P-521' }),
    pair('ed25519'),
    pair('rsa', { modulusLength: 2048 }),
  ]) {
    const read = readDpopOption(keys)!
    t.equal(read.thumbprint, await calculateJwkThumbprint(await exportJWK(keys.publicKey)))
  }
})

t.test('fetch with a proof: an answer cut short still reaches the caller as an error', async t => {
  server.respond((_request, res) => {
    res.writeHead(200, { 'content-length': '100', 'dpop-nonce': 'cut' })
    res.write('x')
    setTimeout(() => res.socket?.destroy(), 10)
  })
  const c = client({ token: dpopToken })
  const response = await c.fetch(`${server.url}/cut`)
  t.equal(response.status, 200)
  await t.rejects(response.arrayBuffer())
  // The nonce of that answer was learned: the next proof to this origin carries it.
  server.respond((_request, res) => json(res, { ok: true }))
  const before = server.seen.length
  await (await c.fetch(`${server.url}/next`)).arrayBuffer()
  t.equal(decodeJwt(server.seen[before]!.headers.dpop as string).nonce, 'cut')
})

t.test('a cross-origin redirect followed by the session carries neither the token nor the proof', async t => {
  const other = await start({ host: 'localhost', respond: ok })
  t.teardown(() => other.close())
  server.respond((request, res) => {
    if (request.url.startsWith('/token')) return json(res, dpopToken)
    return redirectTo(307, () => `${other.url}/landing`)(request, res)
  })
  const c = client({ maxRedirections: 2 })
  const { statusCode, body } = await c.get(`${server.url}/api`)
  await body.dump()
  t.equal(statusCode, 200)
  t.equal(other.seen.length, 1, 'the redirect was followed')
  t.equal(other.seen[0]?.headers.authorization, undefined, 'no token')
  t.equal(other.seen[0]?.headers.dpop, undefined, 'no proof')
  // The same through fetch, which follows the redirect itself over the session's dispatcher.
  const fetched = await c.fetch(`${server.url}/api`)
  await fetched.arrayBuffer()
  t.equal(fetched.status, 200)
  t.equal(other.seen.length, 2, 'fetch followed the redirect')
  t.equal(other.seen[1]?.headers.authorization, undefined, 'no token after fetch')
  t.equal(other.seen[1]?.headers.dpop, undefined, 'no proof after fetch')
})
