// Acceptance 2 of issue 5: 1,000 seeded requests give the same signature base string and
// HMAC-SHA1 signature as oauth-1.0a, an independent signer used only here.
//
// oauth-1.0a does not parse query strings the way RFC 5849 §3.4.1.3.1 asks (no "+" decoding,
// names not decoded, "=" in values cut) and takes the base URL as given, so it is fed the decoded
// parameters as `data` and the expected base string URI; our signer gets the real URL (with
// non-normalised host and port and an encoded query) and the form body, and must agree.
import { createHmac } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import t from 'tap'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { generateNonce } from '../../lib/oauth1/nonce.js'
import type { SignatureType } from '../../lib/oauth1/placement.js'
import { signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner } from '../../lib/oauth1/signature.js'

// mulberry32: a tiny seeded PRNG, so a failure is reproducible from its case number.
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

const CHUNKS = [
  ...'abcXYZ0129-._~',
  ...`!*'()[]|$+~%`,
  ' ',
  '  ',
  ...'&=?#/:;@,"<>\\^{}`',
  '\n',
  '\t',
  'é',
  'ü',
  'ß',
  '啦',
  '\u3001',
  '\u{1F600}',
  'e\u0301',
  '%20',
  '%zz',
  '+',
]
const NAMES = ['a', 'a2', 'a-', 'a0', 'b', 'q', 'file', 'size', 'fields[a]', 'x y', 'é', '']

type Random = () => number

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!
}

function text(random: Random, max: number): string {
  let out = ''
  const length = Math.floor(random() * (max + 1))
  for (let i = 0; i < length; i++) out += pick(random, CHUNKS)
  return out
}

function pairs(random: Random, max: number): [string, string][] {
  const out: [string, string][] = []
  const count = Math.floor(random() * (max + 1))
  for (let i = 0; i < count; i++) {
    // Repeated names come from the small pool; free-form names from the chunks.
    const name = random() < 0.6 ? pick(random, NAMES) : text(random, 4)
    out.push([name, random() < 0.2 ? '' : text(random, 8)])
  }
  return out
}

// Three spellings of the same query, all of which decode to the same pairs.
function serializeQuery(random: Random, query: [string, string][]): string {
  return query
    .map(([name, value]) => {
      const style = random()
      if (style < 0.33) return new URLSearchParams([[name, value]]).toString()
      if (style < 0.66) return `${encodeURIComponent(name)}=${encodeURIComponent(value)}`
      return `${encodeURIComponent(name).replace(/%20/g, '+')}=${encodeURIComponent(value).replace(/%20/g, '+')}`
    })
    .join('&')
}

const HOSTS = [
  ['photos.example.net', 'Photos.Example.NET'],
  ['127.0.0.1', '127.0.0.1'],
  ['i.b', 'I.B'],
] as const
const PATHS = ['/', '/photos', '/a%20b/C', '/%E5%95%A6/x', '/~user/a.b-c_d', '/r%5Bx%5D']
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
const TYPES: readonly SignatureType[] = ['header', 'query', 'body']

function hmacSha1(base: string, key: string): string {
  return createHmac('sha1', key).update(base).digest('base64')
}

t.test('1,000 generated requests agree with oauth-1.0a', async t => {
  const random = prng(0x5849)
  let mismatches = 0
  for (let n = 0; n < 1000; n++) {
    const scheme = random() < 0.5 ? 'http' : 'https'
    const [host, spelled] = pick(random, HOSTS)
    const portChoice = random()
    const port = portChoice < 0.3 ? '' : portChoice < 0.6 ? (scheme === 'http' ? ':80' : ':443') : ':8443'
    const path = pick(random, PATHS)
    const query = pairs(random, 5)
    const method = pick(random, METHODS)
    const form = method === 'GET' || method === 'DELETE' || random() < 0.3 ? [] : pairs(random, 5)
    const signatureType = pick(random, TYPES)
    const clientId = text(random, 6) || 'key'
    const clientSecret = text(random, 6)
    const token = random() < 0.7 ? text(random, 6) || 'token' : undefined
    const tokenSecret = token === undefined ? undefined : text(random, 6)
    const nonce = generateNonce()
    const timestamp = String(1_000_000_000 + Math.floor(random() * 1_000_000_000))

    const url = `${scheme}://${spelled}${port}${path}${query.length > 0 ? `?${serializeQuery(random, query)}` : ''}`
    const request: PreparedRequest = { method, url: new URL(url), headers: {}, body: null, form: undefined }
    if (form.length > 0) {
      request.form = new URLSearchParams(form)
      request.body = request.form.toString()
      request.headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const ours = signRequest(request, {
      clientId,
      token,
      signer: createSigner('HMAC-SHA1', { clientSecret, tokenSecret }),
      signatureType,
      realm: random() < 0.3 ? 'Example' : undefined,
      nonce,
      timestamp,
      version: '1.0',
    })
    const sent =
      signatureType === 'header'
        ? /oauth_signature="([^"]+)"/.exec(String(request.headers['authorization']))?.[1]
        : signatureType === 'query'
          ? encodeURIComponent(request.url.searchParams.get('oauth_signature') ?? '')
          : encodeURIComponent(request.form?.get('oauth_signature') ?? '')

    // The oracle: all decoded parameters as data (repeated names as arrays), the normalised URI.
    const data: Record<string, string | string[]> = {}
    for (const [name, value] of [...query, ...form]) {
      const previous = data[name]
      data[name] =
        previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
    }
    const defaultPort = port === (scheme === 'http' ? ':80' : ':443') || port === ''
    const oracle = new OAuth({
      consumer: { key: clientId, secret: clientSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: hmacSha1,
    })
    oracle.getNonce = () => nonce
    oracle.getTimeStamp = () => Number(timestamp)
    const oracleRequest = { url: `${scheme}://${host}${defaultPort ? '' : port}${path}`, method, data }
    const oauthData: OAuth.Data = {
      oauth_consumer_key: clientId,
      oauth_nonce: nonce,
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: Number(timestamp),
      oauth_version: '1.0',
      ...(token === undefined ? {} : { oauth_token: token }),
    }
    const theirs = oracle.getBaseString({ ...oracleRequest, data: { ...data } }, oauthData)
    const signed = oracle.authorize(
      oracleRequest,
      token === undefined ? undefined : { key: token, secret: tokenSecret ?? '' },
    )

    if (ours !== theirs || sent !== encodeURIComponent(signed.oauth_signature)) {
      mismatches++
      if (mismatches <= 3) t.fail(`case ${n} differs`, { url, method, form, ours, theirs })
    }
  }
  t.equal(mismatches, 0, 'no request signed differently')
})
