import { generateKeyPairSync, verify } from 'node:crypto'
import t from 'tap'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { baseStringUri, normalizeParameters, signatureBaseString } from '../../lib/oauth1/base-string.js'
import { bodyHash } from '../../lib/oauth1/body-hash.js'
import { percentEncode } from '../../lib/oauth1/encoding.js'
import { generateTimestamp } from '../../lib/oauth1/nonce.js'
import { authorizationHeader, canonicalizeQuery } from '../../lib/oauth1/placement.js'
import { signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner, SIGNATURE_METHODS, signingKey } from '../../lib/oauth1/signature.js'

function prepared(method: string, url: string, form?: string): PreparedRequest {
  const request: PreparedRequest = { method, url: new URL(url), headers: {}, body: null, form: undefined }
  if (form !== undefined) {
    request.form = new URLSearchParams(form)
    request.body = form
    request.headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  return request
}

// RFC 5849 §1.2: client dpf43f3p2l4k3l03 / kd94hf93k423kf44, realm "Photos".
const clientId = 'dpf43f3p2l4k3l03'
const clientSecret = 'kd94hf93k423kf44'

t.test('RFC 5849 §1.2 temporary credentials request', async t => {
  const cases = [
    { version: undefined, signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU=' },
    { version: '1.0' as const, signature: 'msrTmwtDEKqeVXeJaufuiXOpbJI=' },
  ]
  for (const { version, signature } of cases) {
    const request = prepared('POST', 'https://photos.example.net/initiate')
    const base = signRequest(request, {
      clientId,
      signer: createSigner('HMAC-SHA1', { clientSecret }),
      signatureType: 'header',
      realm: 'Photos',
      callback: 'http://printer.example.com/ready',
      timestamp: '137131200',
      nonce: 'wIjqoS',
      version,
    })
    t.equal(
      base,
      'POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200' +
        (version ? '%26oauth_version%3D1.0' : ''),
    )
    const versionPart = version ? 'oauth_version="1.0", ' : ''
    t.equal(
      request.headers['authorization'],
      `OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131200", oauth_nonce="wIjqoS", ${versionPart}oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready", oauth_signature="${percentEncode(signature)}"`,
      `version ${version ?? 'omitted'}`,
    )
  }
})

t.test('RFC 5849 §1.2 token credentials request', async t => {
  const cases = [
    { version: undefined, signature: 'gKgrFCywp7rO0OXSjdot/IHF7IU=' },
    { version: '1.0' as const, signature: 'TTfFVvlRAvmVe2B4CvOBMQlgJNw=' },
  ]
  for (const { version, signature } of cases) {
    const request = prepared('POST', 'https://photos.example.net/token')
    const base = signRequest(request, {
      clientId,
      signer: createSigner('HMAC-SHA1', { clientSecret, tokenSecret: 'hdhd0244k9j7ao03' }),
      signatureType: 'header',
      realm: 'Photos',
      token: 'hh5s93j4hdidpola',
      verifier: 'hfdp7dh39dks9884',
      timestamp: '137131201',
      nonce: 'walatlh',
      version,
    })
    t.equal(
      base,
      'POST&https%3A%2F%2Fphotos.example.net%2Ftoken&oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dwalatlh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dhh5s93j4hdidpola%26oauth_verifier%3Dhfdp7dh39dks9884' +
        (version ? '%26oauth_version%3D1.0' : ''),
    )
    const versionPart = version ? 'oauth_version="1.0", ' : ''
    t.equal(
      request.headers['authorization'],
      `OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="hh5s93j4hdidpola", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="walatlh", ${versionPart}oauth_verifier="hfdp7dh39dks9884", oauth_signature="${percentEncode(signature)}"`,
    )
  }
})

t.test('RFC 5849 §1.2 protected resource request', async t => {
  const cases = [
    { version: undefined, signature: 'MdpQcU8iPSUjWoN/UDMsK2sui9I=' },
    { version: '1.0' as const, signature: '1IAE9RzK+DqSqVTdQ/0zWANXVzs=' },
  ]
  for (const { version, signature } of cases) {
    const request = prepared('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original')
    const base = signRequest(request, {
      clientId,
      signer: createSigner('HMAC-SHA1', { clientSecret, tokenSecret: 'pfkkdhi9sl3r4s00' }),
      signatureType: 'header',
      realm: 'Photos',
      token: 'nnch734d00sl2jdk',
      timestamp: '137131202',
      nonce: 'chapoH',
      version,
    })
    t.equal(
      base,
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk' +
        (version ? '%26oauth_version%3D1.0' : '') +
        '%26size%3Doriginal',
    )
    const versionPart = version ? 'oauth_version="1.0", ' : ''
    t.equal(
      request.headers['authorization'],
      `OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", ${versionPart}oauth_signature="${percentEncode(signature)}"`,
    )
    t.equal(
      request.url.href,
      'http://photos.example.net/photos?file=vacation.jpg&size=original',
      'URL untouched',
    )
  }
})

t.test('RFC 5849 §3.4.1 signature base string example', async t => {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b, Host example.com, body c2&a3=2+q.
  const request = prepared('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', 'c2&a3=2+q')
  const protocol = [
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
  ] as const
  t.equal(
    normalizeParameters([request.url.searchParams, request.form!, protocol]),
    'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
  )
  t.equal(
    signatureBaseString(request.method, request.url, request.form, protocol),
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
  )
  // The same through signRequest, which adds the parameters itself.
  const signed = prepared('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', 'c2&a3=2+q')
  t.equal(
    signRequest(signed, {
      clientId: '9djdj82h48djs9d2',
      token: 'kkk9d7dh3k39sjv7',
      signer: createSigner('HMAC-SHA1', {}),
      signatureType: 'header',
      realm: 'Example',
      timestamp: '137131201',
      nonce: '7d8f3e4a',
    }),
    signatureBaseString(request.method, request.url, request.form, protocol),
  )
})

t.test('OAuth Core 1.0 Appendix A (with oauth_version)', async t => {
  const request = prepared('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original')
  signRequest(request, {
    clientId,
    signer: createSigner('HMAC-SHA1', { clientSecret, tokenSecret: 'pfkkdhi9sl3r4s00' }),
    signatureType: 'header',
    token: 'nnch734d00sl2jdk',
    timestamp: '1191242096',
    nonce: 'kllo9940pd9333jh',
    version: '1.0',
  })
  t.match(request.headers['authorization'], /oauth_signature="tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D"$/)
})

t.test('§3.6 percent-encoding (wiki.oauth.net test cases)', async t => {
  const cases: [string, string][] = [
    ['abcABC123', 'abcABC123'],
    ['-._~', '-._~'],
    ['%', '%25'],
    ['+', '%2B'],
    ['&=*', '%26%3D%2A'],
    ['\n', '%0A'],
    [' ', '%20'],
    ['\x7F', '%7F'],
    ['\x80', '%C2%80'],
    ['\u3001', '%E3%80%81'],
    ["!*'()[]|$+~%", '%21%2A%27%28%29%5B%5D%7C%24%2B~%25'],
    ['\u{1F600}', '%F0%9F%98%80'],
  ]
  for (const [input, expected] of cases) t.equal(percentEncode(input), expected, JSON.stringify(input))
  t.throws(() => percentEncode('\uD800'), URIError, 'a lone surrogate has no UTF-8 form')
})

t.test('§3.4.1.3.2 normalisation (wiki.oauth.net test cases)', async t => {
  t.equal(normalizeParameters([[['name', '']]]), 'name=')
  t.equal(
    normalizeParameters([
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ]),
    'a=b&c=d',
  )
  t.equal(normalizeParameters([new URLSearchParams('a=x!y&a=x+y')]), 'a=x%20y&a=x%21y')
  t.equal(normalizeParameters([new URLSearchParams('x!y=a&x=a')]), 'x=a&x%21y=a')
  // A name that prefixes another sorts first even when the longer one continues below "=".
  t.equal(normalizeParameters([new URLSearchParams('a-=1&a=2&a0=3&a%25=4')]), 'a=2&a%25=4&a-=1&a0=3')
})

t.test('§3.4.1.2 base string URI', async t => {
  const cases: [string, string][] = [
    ['http://example.com', 'http://example.com/'],
    ['HTTP://Example.com:8080/Path?q=1#frag', 'http://example.com:8080/Path'],
    ['http://EXAMPLE.COM:80/r%20v/X?id=123', 'http://example.com/r%20v/X'],
    ['https://www.example.net:8080/?q=1', 'https://www.example.net:8080/'],
    ['https://Example.com:443', 'https://example.com/'],
  ]
  for (const [input, expected] of cases) t.equal(baseStringUri(new URL(input)), expected, input)
})

t.test('§3.4.1.2 the Host header gives the base string URI its host and port', async t => {
  const sign = (url: string, host: unknown) => {
    const request = prepared('GET', url)
    request.headers['host'] = host as string
    return signRequest(request, {
      clientId,
      signer: createSigner('HMAC-SHA1', { clientSecret }),
      signatureType: 'header',
      timestamp: '137131201',
      nonce: 'n',
    }).split('&')[1]
  }
  // The two examples of §3.4.1.2, sent to another address than the Host header names.
  t.equal(
    sign('http://127.0.0.1:8080/r%20v/X?id=123', 'EXAMPLE.COM:80'),
    percentEncode('http://example.com/r%20v/X'),
  )
  t.equal(
    sign('https://127.0.0.1/?q=1', 'www.example.net:8080'),
    percentEncode('https://www.example.net:8080/'),
  )
  t.equal(sign('http://127.0.0.1:8080/', '[::1]:8080'), percentEncode('http://[::1]:8080/'))
  for (const host of ['a/b', 'user@example.com', 'example.com:99999', '', ['a', 'b'], 'a b']) {
    t.throws(() => sign('http://127.0.0.1/', host), {
      name: 'TypeError',
      message: /Host header must be one host\[:port\]/,
    })
  }
})

t.test('HMAC and PLAINTEXT signatures (wiki.oauth.net, OAuth Core 1.0 §9.4.1)', async t => {
  t.equal(createSigner('HMAC-SHA1', { clientSecret: 'cs' }).sign('bs'), 'egQqG5AJep5sJ7anhXju1unge2I=')
  t.equal(
    createSigner('HMAC-SHA1', { clientSecret: 'cs', tokenSecret: 'ts' }).sign('bs'),
    'VZVjXceV7JgPq/dOTnNmEfO0Fv8=',
  )
  t.equal(signingKey('djr9rjt0jd78jf88', 'jjd999tj88uiths3'), 'djr9rjt0jd78jf88&jjd999tj88uiths3')
  const plaintext = createSigner('PLAINTEXT', {
    clientSecret: 'djr9rjt0jd78jf88',
    tokenSecret: 'jjd99$tj88uiths3',
  })
  t.equal(plaintext.sign(''), 'djr9rjt0jd78jf88&jjd99%24tj88uiths3')
  t.equal(plaintext.needsBaseString, false)
  t.equal(createSigner('PLAINTEXT', { clientSecret: 'djr9rjt0jd78jf88' }).sign(''), 'djr9rjt0jd78jf88&')
  t.equal(createSigner('PLAINTEXT', {}).sign(''), '&')
  // HMAC-SHA256 / SHA512 of "bs" keyed "cs&" (computed independently with Python's hmac module).
  t.equal(
    createSigner('HMAC-SHA256', { clientSecret: 'cs' }).sign('bs'),
    'kWNIhpsQfKsXX+tw7xo2n09Z77xczTK6fc8ZPau76DY=',
  )
  t.equal(
    createSigner('HMAC-SHA512', { clientSecret: 'cs' }).sign('bs'),
    'cFLQ6boLgh0a26EAIJn34od33Ix9DVMqglR1fA2bjkWA6tHfT110FUJm82dnNSq6m2SQZmUdTz98MKnrfbUdJA==',
  )
})

t.test('Authlib session vectors (nonce abc, timestamp 123, client foo)', async t => {
  const hmac = prepared('POST', 'https://i.b/')
  signRequest(hmac, {
    clientId: 'foo',
    signer: createSigner('HMAC-SHA1', {}),
    signatureType: 'header',
    nonce: 'abc',
    timestamp: '123',
    version: '1.0',
  })
  t.match(hmac.headers['authorization'], /oauth_signature="h2sRqLArjhlc5p3FTkuNogVHlKE%3D"$/)
  const cjk = prepared('POST', 'https://i.b/?cjk=%E5%95%A6%E5%95%A6')
  const base = signRequest(cjk, {
    clientId: 'foo',
    signer: createSigner('HMAC-SHA1', {}),
    signatureType: 'header',
    nonce: 'abc',
    timestamp: '123',
    version: '1.0',
  })
  t.equal(
    base,
    'POST&https%3A%2F%2Fi.b%2F&cjk%3D%25E5%2595%25A6%25E5%2595%25A6%26oauth_consumer_key%3Dfoo%26oauth_nonce%3Dabc%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D123%26oauth_version%3D1.0',
  )
  t.match(cjk.headers['authorization'], /oauth_signature="W0haoue5IZAZoaJiYCtfqwMf8x8%3D"$/)
  // Form body, realm, callback and verifier together (Authlib HEAD, self-consistent vector).
  const form = prepared('POST', 'https://i.b/path', 'a=1&b=2')
  signRequest(form, {
    clientId: 'foo',
    signer: createSigner('HMAC-SHA1', { clientSecret: 's' }),
    signatureType: 'header',
    realm: 'Photos',
    callback: 'https://c.b/cb',
    verifier: 'v',
    nonce: 'abc',
    timestamp: '123',
    version: '1.0',
  })
  t.match(form.headers['authorization'], /oauth_signature="pQ1xMESUS%2BqY07QCEYM2rdiF%2FNk%3D"$/)
  t.equal(form.body, 'a=1&b=2', 'a form body is signed, not changed')
})

t.test('oauth_body_hash covers a JSON body', async t => {
  const request = prepared('POST', 'https://i.b/path')
  request.body = '{"a":1}'
  request.headers['content-type'] = 'application/json'
  signRequest(request, {
    clientId: 'foo',
    signer: createSigner('HMAC-SHA1', { clientSecret: 's' }),
    signatureType: 'header',
    forceIncludeBody: true,
    nonce: 'abc',
    timestamp: '123',
    version: '1.0',
  })
  t.match(request.headers['authorization'], /oauth_body_hash="n4nHQM60bXQYySSnisV5QdXpZSA%3D"/)
  t.equal(request.body, '{"a":1}', 'sent intact')
  t.equal(
    bodyHash(new TextEncoder().encode('{"a":1}'), 'RSA-SHA1'),
    'n4nHQM60bXQYySSnisV5QdXpZSA=',
    'bytes hash alike',
  )
  t.equal(
    bodyHash('', 'HMAC-SHA256'),
    '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    'SHA-256 methods use SHA-256',
  )
})

t.test('RSA methods sign with PKCS#1 v1.5 and the method digest', async t => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  for (const [method, digest] of [
    ['RSA-SHA1', 'sha1'],
    ['RSA-SHA256', 'sha256'],
    ['RSA-SHA512', 'sha512'],
  ] as const) {
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    const jwk = privateKey.export({ format: 'jwk' })
    for (const key of [privateKey, pem, Buffer.from(pem), jwk]) {
      const signature = createSigner(method, { rsaKey: key }).sign('bs')
      t.ok(
        verify(digest, Buffer.from('bs'), publicKey, Buffer.from(signature, 'base64')),
        `${method} verifies`,
      )
    }
  }
  const cryptoKey = await crypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['sign'],
  )
  const signature = createSigner('RSA-SHA256', { rsaKey: cryptoKey }).sign('bs')
  t.ok(verify('sha256', Buffer.from('bs'), publicKey, Buffer.from(signature, 'base64')), 'CryptoKey accepted')

  t.throws(() => createSigner('RSA-SHA1', {}), { name: 'TypeError', message: /needs rsaKey/ })
  t.throws(() => createSigner('RSA-SHA1', { rsaKey: 'not a key' }), {
    message: /^rsaKey for RSA-SHA1 needs a private key: got a string with no PEM armour/,
  })
  t.throws(() => createSigner('RSA-SHA256', { rsaKey: publicKey }), {
    message:
      /^rsaKey for RSA-SHA256 needs a private key: a public key was given where a private key is needed to sign/,
  })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  t.throws(() => createSigner('RSA-SHA256', { rsaKey: ec }), {
    message: 'rsaKey for RSA-SHA256 must be an RSA private key; got a private ec key',
  })
})

t.test('signature method names', async t => {
  t.same(SIGNATURE_METHODS, [
    'HMAC-SHA1',
    'HMAC-SHA256',
    'HMAC-SHA512',
    'RSA-SHA1',
    'RSA-SHA256',
    'RSA-SHA512',
    'PLAINTEXT',
  ])
})

t.test('placement: query and body', async t => {
  const query = prepared('GET', 'https://i.b/p?x=1')
  signRequest(query, {
    clientId: 'foo',
    signer: createSigner('PLAINTEXT', { clientSecret: 's&' }),
    signatureType: 'query',
    nonce: 'abc',
    timestamp: '123',
    version: '1.0',
  })
  t.equal(
    query.url.search,
    '?x=1&oauth_consumer_key=foo&oauth_signature_method=PLAINTEXT&oauth_timestamp=123&oauth_nonce=abc&oauth_version=1.0&oauth_signature=s%2526%26',
  )
  t.same(query.headers, {}, 'no header')

  const bare = prepared('GET', 'https://i.b/p')
  signRequest(bare, { clientId: 'foo', signer: createSigner('PLAINTEXT', {}), signatureType: 'query' })
  t.match(bare.url.search, /^\?oauth_consumer_key=foo&/)

  const callerForm = new URLSearchParams('a=1')
  const body = prepared('POST', 'https://i.b/p')
  body.form = callerForm
  body.body = 'a=1'
  signRequest(body, {
    clientId: 'foo',
    signer: createSigner('HMAC-SHA1', {}),
    signatureType: 'body',
    nonce: 'abc',
    timestamp: '123',
  })
  t.match(
    body.body,
    /^a=1&oauth_consumer_key=foo&oauth_signature_method=HMAC-SHA1&oauth_timestamp=123&oauth_nonce=abc&oauth_signature=/,
  )
  t.equal(body.form?.get('oauth_nonce'), 'abc')
  t.equal(callerForm.toString(), 'a=1', "the caller's URLSearchParams is not changed")

  const get = prepared('GET', 'https://i.b/p')
  signRequest(get, { clientId: 'foo', signer: createSigner('HMAC-SHA1', {}), signatureType: 'body' })
  t.equal(get.headers['content-type'], 'application/x-www-form-urlencoded', 'a body is created to carry them')
  t.match(get.body, /^oauth_consumer_key=foo&/)
})

t.test('every oauth_* parameter exactly once', async t => {
  const request = prepared('GET', 'https://i.b/p?oauth_nonce=x')
  const options = { clientId: 'foo', signer: createSigner('HMAC-SHA1', {}), signatureType: 'query' as const }
  t.throws(() => signRequest(request, options), {
    name: 'TypeError',
    message: /oauth_nonce is set by the OAuth 1 signer/,
  })
  const unrelated = prepared('GET', 'https://i.b/p?oauth_extension=x')
  signRequest(unrelated, options)
  t.equal(unrelated.url.searchParams.getAll('oauth_nonce').length, 1)
  const form = prepared('POST', 'https://i.b/p', 'oauth_token=t')
  t.throws(() => signRequest(form, { ...options, token: 't' }), { message: /oauth_token is set/ })
  const header = prepared('GET', 'https://i.b/p')
  header.headers['authorization'] = 'Bearer x'
  signRequest(header, { ...options, signatureType: 'header' })
  t.match(
    header.headers['authorization'],
    /^OAuth oauth_consumer_key/,
    'header placement replaces Authorization',
  )
})

t.test('body rules', async t => {
  const options = { clientId: 'foo', signer: createSigner('HMAC-SHA1', {}), signatureType: 'body' as const }
  const json = prepared('POST', 'https://i.b/p')
  json.body = '{}'
  t.throws(() => signRequest(json, options), {
    name: 'TypeError',
    message: /needs an application\/x-www-form-urlencoded body/,
  })
  const stream = prepared('POST', 'https://i.b/p')
  stream.body = new FormData()
  t.throws(() => signRequest(stream, { ...options, signatureType: 'header', forceIncludeBody: true }), {
    message: /cannot be hashed/,
  })
  const none = prepared('GET', 'https://i.b/p')
  signRequest(none, { ...options, signatureType: 'header', forceIncludeBody: true })
  t.match(
    none.headers['authorization'],
    /oauth_body_hash="2jmj7l5rSw0yVb%2FvlWAYkK%2FYBwk%3D"/,
    'SHA-1 of the empty body',
  )
  const emptyBytes = prepared('POST', 'https://i.b/p')
  emptyBytes.body = new Uint8Array(0)
  signRequest(emptyBytes, options)
  t.match(emptyBytes.body, /^oauth_consumer_key=/, 'an empty body can carry the parameters')
  const form = prepared('POST', 'https://i.b/p', 'a=1')
  signRequest(form, { ...options, signatureType: 'header', forceIncludeBody: true })
  t.notMatch(form.headers['authorization'], /oauth_body_hash/, 'never on a form body (draft §3.1)')
  const bytes = prepared('PUT', 'https://i.b/p')
  bytes.body = new Uint8Array([1, 2, 3])
  signRequest(bytes, { ...options, signatureType: 'query', forceIncludeBody: true })
  t.equal(bytes.url.searchParams.get('oauth_body_hash'), bodyHash(new Uint8Array([1, 2, 3]), 'HMAC-SHA1'))
  const sentAsIs = prepared('PUT', 'https://i.b/p')
  sentAsIs.body = '{"a":1}'
  signRequest(sentAsIs, { ...options, signatureType: 'header' })
  t.notMatch(sentAsIs.headers['authorization'], /oauth_body_hash/, 'no hash without forceIncludeBody')
  t.equal(sentAsIs.body, '{"a":1}')
})

t.test('query canonicalisation keeps the signed values', async t => {
  const url = new URL("https://i.b/p?fields[a]=1&q=a|b&s=a$b&t=a'b&u=a+b&v=%E5%95%A6&w=caf\u00e9&x=*")
  const before = [...url.searchParams]
  canonicalizeQuery(url)
  t.equal(url.search, '?fields%5Ba%5D=1&q=a%7Cb&s=a%24b&t=a%27b&u=a%20b&v=%E5%95%A6&w=caf%C3%A9&x=%2A')
  t.same([...url.searchParams], before)
  const clean = new URL('https://i.b/p?a=%2Fb&c=d~')
  canonicalizeQuery(clean)
  t.equal(clean.search, '?a=%2Fb&c=d~', 'an already canonical query is left alone')
  const badEscape = new URL('https://i.b/p?a=%zz')
  canonicalizeQuery(badEscape)
  t.equal(badEscape.search, '?a=%25zz')
})

t.test('realm must stay inside its quotes', async t => {
  t.throws(() => authorizationHeader([], [], 'a"b'), { name: 'TypeError', message: /realm must not contain/ })
  t.throws(() => authorizationHeader([], [], 'a\nb'), TypeError)
  t.equal(
    authorizationHeader(['oauth_a', 'oauth_b'], ['b%20c', 'd'], 'R'),
    'OAuth realm="R", oauth_a="b%20c", oauth_b="d"',
  )
})

t.test('timestamps are whole seconds', async t => {
  t.equal(generateTimestamp(1_700_000_000_999), '1700000000')
  t.match(generateTimestamp(), /^\d{10}$/)
})

t.test('inputs that cannot be signed are TypeErrors that name no secret', async t => {
  const options = { clientId: 'foo', signer: createSigner('HMAC-SHA1', {}), signatureType: 'header' as const }
  t.throws(() => signRequest(prepared('GE T', 'https://i.b/'), options), {
    name: 'TypeError',
    message: /HTTP token/,
  })
  t.throws(() => signRequest(prepared('GET', 'https://i.b/'), { ...options, token: 'a\uD800' }), {
    name: 'TypeError',
    message: 'oauth_token must be well-formed Unicode (a lone surrogate has no UTF-8 form)',
  })
  t.throws(() => signRequest(prepared('GET', 'https://i.b/?oauth_signature=x'), options), {
    message: /oauth_signature is set by the OAuth 1 signer/,
  })
  t.throws(() => signRequest(prepared('GET', 'https://i.b/?%6Fauth_nonce=x'), options), {
    message: /oauth_nonce is set by the OAuth 1 signer/,
  })
})

t.test('base strings of queries that need decoding and of many parameters', async t => {
  // Not canonicalised first: "+" is a form-encoded space (§3.4.1.3.1), "%41" an "A".
  t.equal(
    signatureBaseString('get', new URL('https://i.b/p?b=x+y&a=%41&c'), undefined, [['oauth_nonce', 'n']]),
    'GET&https%3A%2F%2Fi.b%2Fp&a%3DA%26b%3Dx%2520y%26c%3D%26oauth_nonce%3Dn',
  )
  const many = Array.from({ length: 20 }, (_, i) => [`p${String(19 - i).padStart(2, '0')}`, 'v'] as const)
  const expected = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}=v`).join('&')
  t.equal(normalizeParameters([many]), expected, 'more parameters than the insertion sort handles')
  t.equal(
    normalizeParameters([[['a', 'b'], ['a', 'a'], ...many]]).slice(0, 7),
    'a=a&a=b',
    'ties broken by value',
  )
})
