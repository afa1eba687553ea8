import t from 'tap'
import { Prepared, toTarget } from '../../lib/http/prepare.js'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { type SignRequestOptions, signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner } from '../../lib/oauth1/signature.js'

// The session's requests (Prepared, URL not materialised) are signed from per-target parts derived
// once; they must give exactly what the general path gives for the same URL.
const URLS = [
  'https://api.example/photos',
  'https://API.Example:443/a%20b/c?size=original&file=vacation.jpg&page=2',
  'http://127.0.0.1:8080/?b=2&a=1&a=0&empty=&flag',
  'https://i.b/p?q=hello%20world&x=%E2%82%AC',
  'https://i.b/p?q=a+b&r=[1]|$',
  'https://i.b/p?oauth_x=1&z=%7E',
  'https://i.b/p?#frag',
]

function general(method: string, url: string, form?: string): PreparedRequest {
  const request: PreparedRequest = { method, url: new URL(url), headers: {}, body: null, form: undefined }
  if (form !== undefined) {
    request.form = new URLSearchParams(form)
    request.body = form
    request.headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  return request
}

function session(method: string, url: string, form?: string): Prepared {
  const params = form === undefined ? undefined : new URLSearchParams(form)
  const headers: Record<string, string> =
    form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }
  return new Prepared(method, toTarget(new URL(url)), headers, form ?? null, params)
}

const options: SignRequestOptions = {
  clientId: 'dpf43f3p2l4k3l03',
  signer: createSigner('HMAC-SHA1', { clientSecret: 'kd94hf93k423kf44', tokenSecret: 'pfkkdhi9sl3r4s00' }),
  signatureType: 'header',
  token: 'nnch734d00sl2jdk',
  nonce: 'kllo9940pd9333jh',
  timestamp: '1191242096',
  version: '1.0',
}

t.test('a session request signs exactly as the general path, first and cached', async t => {
  for (const url of URLS) {
    for (const signatureType of ['header', 'body', 'query'] as const) {
      for (const form of [undefined, 'c2=&a3=2+q']) {
        const method = signatureType === 'body' || form !== undefined ? 'POST' : 'GET'
        const expected = general(method, url, form)
        const base = signRequest(expected, { ...options, signatureType })
        for (let round = 0; round < 2; round++) {
          const request = session(method, url, form)
          t.equal(signRequest(request, { ...options, signatureType }), base, `${signatureType} ${url}`)
          t.same(request.headers, expected.headers)
          t.equal(request.body, expected.body)
          t.equal(
            `${request.origin}${request.path}`,
            `${expected.url.origin}${expected.url.pathname}${expected.url.search}`,
          )
        }
      }
    }
  }
})

t.test('a protocol parameter in a session request query or form is refused, cached or not', async t => {
  for (const url of [
    'https://i.b/?oauth_token=x',
    'https://i.b/?oauth%5Fnonce=x',
    'https://i.b/?%6Fauth_signature=x',
  ]) {
    for (let round = 0; round < 2; round++) {
      t.throws(() => signRequest(session('GET', url), options), {
        name: 'TypeError',
        message: /set by the OAuth 1 signer/,
      })
    }
  }
  t.throws(() => signRequest(session('POST', 'https://i.b/?a=1', 'oauth_signature=x'), options), {
    message: /oauth_signature is set by the OAuth 1 signer/,
  })
  t.throws(() => signRequest(session('POST', 'https://i.b/?a=%41', 'oauth_version=1'), options), {
    message: /oauth_version is set by the OAuth 1 signer/,
  })
})

t.test('a request whose URL was read signs from that URL', async t => {
  const request = session('GET', 'https://i.b/p?a=1')
  request.url.searchParams.append('b', '2')
  signRequest(request, options)
  const expected = general('GET', 'https://i.b/p?a=1&b=2')
  signRequest(expected, options)
  t.same(request.headers, expected.headers)
})
