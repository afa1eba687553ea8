// OAuth1Client behaviour that needs no real provider: options, token state, the authorization
// step, token answers of every shape (urlencoded, JSON, oauth_problem, oversized, malformed),
// where oauth_callback and oauth_verifier go, transport rules, and secret redaction.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import {
  InsecureTransportError,
  InvalidResponseError,
  MismatchingStateError,
  MissingTokenError,
  OAuthError,
} from '../../lib/errors.js'
import { OAuth1Client, type OAuth1ClientOptions, type OAuth1Token } from '../../lib/oauth1/client.js'
import { startServer } from '../fixtures/http-server.js'
import { OAUTH1_CLIENT } from '../fixtures/oauth1-provider.js'

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
}

type Answer = (res: ServerResponse) => void

/** A loopback endpoint that answers with `answer` and records what it received. */
async function endpoint(t: Test, answer: Answer) {
  const seen: Seen[] = []
  const server = await startServer((req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: body.toString('utf8'),
    })
    answer(res)
  })
  t.teardown(() => server.close())
  return { url: server.url, seen }
}

const form =
  (body: string, status = 200, type = 'application/x-www-form-urlencoded'): Answer =>
  res => {
    res.statusCode = status
    res.setHeader('content-type', type)
    res.end(body)
  }

const SECRET = 'client-secret-value'
const TOKEN_SECRET = 'token-secret-value'

function client(t: Test, options: Partial<OAuth1ClientOptions> = {}): OAuth1Client {
  const c = new OAuth1Client({ clientId: 'key', clientSecret: SECRET, ...options })
  t.teardown(() => c.close())
  return c
}

/** What `fn` throws, for matching fields tap's throws() types do not allow. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

function oauthParams(header: string | undefined): Record<string, string> {
  const params: Record<string, string> = {}
  for (const [, name, value] of (header ?? '').matchAll(/(\w+)="([^"]*)"/g))
    params[name!] = decodeURIComponent(value!)
  return params
}

t.test('options are checked when the client is built', async t => {
  t.throws(() => new OAuth1Client({} as OAuth1ClientOptions), {
    name: 'TypeError',
    message: /option `clientId` must be/,
  })
  t.throws(() => new OAuth1Client({ clientId: '' }), {
    message: /option `clientId` must be a non-empty string/,
  })
  t.throws(() => new OAuth1Client({ clientId: 'k', signatureMethod: 'HMAC-MD5' as 'HMAC-SHA1' }), {
    message: /option `signatureMethod` must be one of 'HMAC-SHA1'/,
  })
  t.throws(() => new OAuth1Client({ clientId: 'k', signatureType: 'uri' as 'query' }), {
    message: /option `signatureType` must be one of 'header', 'query', 'body'/,
  })
  t.throws(() => new OAuth1Client({ clientId: 'k', forceIncludeBody: 'yes' as unknown as boolean }), {
    message: /option `forceIncludeBody` must be a boolean/,
  })
  t.throws(() => new OAuth1Client({ clientId: 'k', realm: 'a"b' }), { message: /realm must not contain/ })
  t.throws(() => new OAuth1Client({ clientId: 'k', signatureMethod: 'RSA-SHA256' }), {
    message: /needs rsaKey/,
  })
  t.throws(() => new OAuth1Client({ clientId: 'k', verifier: 'v' }), { message: /`verifier` needs `token`/ })
  t.throws(() => new OAuth1Client({ clientId: 'k', token: 1 as unknown as string }), {
    message: /option `token` must be a string/,
  })
  const rsa = new OAuth1Client({ clientId: 'k', signatureMethod: 'RSA-SHA1', rsaKey: OAUTH1_CLIENT.rsaKey })
  await rsa.close()
})

t.test('token getter and setter', async t => {
  const c = client(t, { token: 't', tokenSecret: 'ts', verifier: 'v' })
  t.same(c.token, { oauth_token: 't', oauth_token_secret: 'ts', oauth_verifier: 'v' })
  const copy = c.token!
  copy.oauth_token = 'changed'
  t.equal(c.token?.oauth_token, 't', 'the getter hands out a copy')
  c.token = { oauth_token: 'a', oauth_token_secret: 'b', screen_name: 'x' }
  t.same(c.token, { oauth_token: 'a', oauth_token_secret: 'b', screen_name: 'x' })
  c.token = { oauth_token: 'only' } as unknown as OAuth1Token
  t.equal(c.token?.oauth_token_secret, '', 'a missing secret is empty')
  c.token = undefined
  t.equal(c.token, undefined)
  t.throws(() => (c.token = { oauth_token: '' } as never), { name: 'TypeError', message: /oauth_token/ })
  t.throws(() => (c.token = 'x' as never), TypeError)
  t.throws(() => (c.token = { oauth_token: 'a', oauth_token_secret: 1 } as never), {
    message: /token.oauth_token_secret must be a string, got number/,
  })
  t.same(client(t, { token: 'only' }).token, { oauth_token: 'only', oauth_token_secret: '' })
})

t.test('createAuthorizationUrl', async t => {
  const c = client(t, { baseUrl: 'https://provider.example/' })
  t.throws(() => c.createAuthorizationUrl('/authorize'), MissingTokenError)
  t.equal(
    c.createAuthorizationUrl('/authorize?lang=en', {
      requestToken: 'rt',
      perms: ['read', 'write'],
      skip: undefined,
    }),
    'https://provider.example/authorize?lang=en&perms=read&perms=write&oauth_token=rt',
  )
  c.token = { oauth_token: 'held', oauth_token_secret: 's' }
  t.equal(c.createAuthorizationUrl('https://other.example/a'), 'https://other.example/a?oauth_token=held')
})

t.test('parseAuthorizationResponse', async t => {
  const c = client(t)
  c.token = { oauth_token: 'rt', oauth_token_secret: 'rts', oauth_callback_confirmed: 'true' }
  t.same(c.parseAuthorizationResponse('https://app.example/cb?oauth_token=rt&oauth_verifier=v1'), {
    oauth_token: 'rt',
    oauth_token_secret: 'rts',
    oauth_callback_confirmed: 'true',
    oauth_verifier: 'v1',
  })
  t.throws(
    () => c.parseAuthorizationResponse('/cb?oauth_token=other&oauth_verifier=v'),
    MismatchingStateError,
  )
  t.match(
    thrown(() => c.parseAuthorizationResponse('/cb?oauth_problem=user_refused&oauth_problem_advice=no')),
    {
      constructor: OAuthError,
      error: 'user_refused',
      description: 'no',
    },
  )
  t.match(
    thrown(() => c.parseAuthorizationResponse('/cb?denied=rt')),
    { error: 'access_denied' },
  )
  t.match(
    thrown(() => c.parseAuthorizationResponse('/cb?error=access_denied&error_description=d')),
    {
      error: 'access_denied',
      description: 'd',
    },
  )
  t.throws(() => c.parseAuthorizationResponse('/cb?oauth_token=rt'), {
    message: /must carry oauth_token and oauth_verifier; it has oauth_token$/,
  })
  t.throws(() => c.parseAuthorizationResponse('/cb'), { message: /it has neither$/ })
  // A client that holds no temporary credentials has nothing to check oauth_token against.
  const fresh = client(t)
  t.throws(() => fresh.parseAuthorizationResponse('/cb?oauth_token=t&oauth_verifier=v'), {
    constructor: MissingTokenError,
    message:
      /no temporary credentials to check the callback against: restore the ones fetchRequestToken\(\) returned first/,
  })
  t.equal(fresh.token, undefined, 'nothing stored')
  fresh.token = { oauth_token: 't', oauth_token_secret: 'ts' }
  t.same(fresh.parseAuthorizationResponse('/cb?oauth_token=t&oauth_verifier=v'), {
    oauth_token: 't',
    oauth_token_secret: 'ts',
    oauth_verifier: 'v',
  })
})

t.test('fetchAccessToken needs temporary credentials and a verifier', async t => {
  await t.rejects(client(t).fetchAccessToken('https://p.example/token'), MissingTokenError)
  const missing = await client(t, { token: 't' })
    .fetchAccessToken('https://p.example/token')
    .catch((error: unknown) => error)
  t.match(missing, { constructor: OAuthError, error: 'missing_verifier' })
})

t.test(
  'the three calls carry oauth_callback and oauth_verifier only where RFC 5849 §2 puts them',
  async t => {
    const { url, seen } = await endpoint(
      t,
      form('oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true'),
    )
    const c = client(t, { baseUrl: url, redirectUri: 'https://app.example/cb', realm: 'photos' })
    c.token = { oauth_token: 'stale', oauth_token_secret: 'stale' }
    const temporary = await c.fetchRequestToken('/initiate', {
      scope: 'read write',
      n: [1, 2],
      skip: undefined,
      realm: 'r2',
    })
    t.same(temporary, { oauth_token: 'rt', oauth_token_secret: 'rts', oauth_callback_confirmed: 'true' })
    const initiate = oauthParams(seen[0]?.authorization)
    t.equal(seen[0]?.method, 'POST')
    t.equal(initiate['oauth_callback'], 'https://app.example/cb')
    t.equal(initiate['realm'], 'r2', 'a per-call realm wins')
    t.notOk('oauth_token' in initiate, 'a new flow starts without the old token')
    t.equal(seen[0]?.body, 'scope=read+write&n=1&n=2', 'extra parameters in the signed form body')
    t.equal(seen[0]?.contentType, 'application/x-www-form-urlencoded')

    c.parseAuthorizationResponse('/cb?oauth_token=rt&oauth_verifier=ver')
    await c.fetchAccessToken('/token')
    const exchange = oauthParams(seen[1]?.authorization)
    t.equal(exchange['oauth_verifier'], 'ver')
    t.equal(exchange['oauth_token'], 'rt')
    t.equal(exchange['realm'], 'photos')
    t.notOk('oauth_callback' in exchange)
    t.equal(seen[1]?.body, '')

    await (await c.get('/resource')).body.dump()
    const resource = oauthParams(seen[2]?.authorization)
    t.notOk('oauth_callback' in resource)
    t.notOk('oauth_verifier' in resource)
    t.equal(resource['oauth_version'], '1.0')

    await (await c.get('/resource', { withholdToken: true })).body.dump()
    t.equal(seen[3]?.authorization, undefined, 'withholdToken sends no signature')

    const oob = client(t, { baseUrl: url })
    await oob.fetchRequestToken('/initiate')
    t.equal(
      oauthParams(seen[4]?.authorization)['oauth_callback'],
      'oob',
      'RFC 5849 §2.1: "oob" without a callback',
    )
    await t.rejects(oob.fetchRequestToken('/initiate', { oauth_token: 'x' }), {
      message: /oauth_token is a protocol parameter/,
    })
  },
)

t.test('token calls in query and body placement', async t => {
  const { url, seen } = await endpoint(t, form('oauth_token=rt&oauth_token_secret=rts'))
  await client(t, { baseUrl: url, signatureType: 'query' }).fetchRequestToken('/initiate')
  t.match(seen[0]?.url, /^\/initiate\?oauth_consumer_key=key&.*oauth_callback=oob&oauth_signature=/)
  await client(t, { baseUrl: url, signatureType: 'body' }).fetchRequestToken('/initiate', { scope: 's' })
  t.match(seen[1]?.body, /^scope=s&oauth_consumer_key=key&/)
  t.equal(seen[1]?.authorization, undefined)
})

t.test('token answers: urlencoded, JSON, problems, malformed and oversized', async t => {
  const expectToken = async (answer: Answer, expected: Record<string, unknown>) => {
    const { url } = await endpoint(t, answer)
    t.same(await client(t, { baseUrl: url }).fetchRequestToken('/i'), expected)
  }
  await expectToken(
    form('{"oauth_token":"j","oauth_token_secret":"js","user_id":7}', 200, 'application/json'),
    {
      oauth_token: 'j',
      oauth_token_secret: 'js',
      user_id: 7,
    },
  )
  await expectToken(form(' {"oauth_token":"j","oauth_token_secret":""}', 200, 'text/plain'), {
    oauth_token: 'j',
    oauth_token_secret: '',
  })
  await expectToken(form('oauth_token=a&oauth_token=b&oauth_token_secret=s'), {
    oauth_token: 'a',
    oauth_token_secret: 's',
  })

  const expectError = async (answer: Answer, expected: object) => {
    const { url } = await endpoint(t, answer)
    const c = client(t, { baseUrl: url, token: 'tok', tokenSecret: TOKEN_SECRET, verifier: 'v' })
    const error = await c.fetchAccessToken('/token').then(
      () => undefined,
      (err: unknown) => err as Error,
    )
    t.match(error, expected)
    t.notMatch(String(error?.message), SECRET)
    t.notMatch(String(error?.message), TOKEN_SECRET)
    t.notMatch(JSON.stringify(error), TOKEN_SECRET)
    return error
  }
  await expectError(form('oauth_problem=signature_invalid&oauth_problem_advice=check+your+key', 401), {
    constructor: OAuthError,
    code: 'ERR_OAUTH',
    error: 'signature_invalid',
    description: 'check your key',
    statusCode: 401,
    message: 'token credentials endpoint answered 401 signature_invalid: check your key',
  })
  await expectError(form('error=invalid_request&error_description=Missing+verifier', 400), {
    constructor: OAuthError,
    error: 'invalid_request',
    description: 'Missing verifier',
  })
  await expectError(form('oauth_problem=token_rejected'), { error: 'token_rejected', statusCode: 200 })
  await expectError(
    form(
      `oauth_problem=signature_invalid&oauth_problem_advice=got+${SECRET}%26${TOKEN_SECRET}&error_uri=${TOKEN_SECRET}`,
      401,
    ),
    { error: 'signature_invalid', description: 'got …&…' },
  )
  const echoed = await expectError(
    form(`{"error":"${TOKEN_SECRET}","error_uri":"https://p.example/${TOKEN_SECRET}"}`, 400),
    {
      error: '…',
      uri: 'https://p.example/…',
    },
  )
  t.notMatch(JSON.stringify(echoed), TOKEN_SECRET)
  await expectError(
    form('{"error":"invalid_client","error_uri":"https://p.example/e"}', 401, 'application/json'),
    {
      error: 'invalid_client',
      uri: 'https://p.example/e',
    },
  )
  await expectError(form('oauth_token_secret=s'), {
    constructor: InvalidResponseError,
    code: 'ERR_OAUTH_INVALID_RESPONSE',
    message: /oauth_token is missing or not a string/,
  })
  await expectError(form('oauth_token=t'), {
    constructor: InvalidResponseError,
    message: /oauth_token_secret is missing/,
  })
  await expectError(form('{"oauth_token":5,"oauth_token_secret":"s"}', 200, 'application/json'), {
    message: /oauth_token is missing or not a string/,
  })
  await expectError(form('[1]', 200, 'application/json'), {
    message: /expected an application\/x-www-form-urlencoded or JSON object body/,
  })
  await expectError(form('{not json', 200, 'text/plain'), { constructor: InvalidResponseError })
  const html = await expectError(form(`<html>boom ${TOKEN_SECRET} ${SECRET}</html>`, 500, 'text/html'), {
    constructor: InvalidResponseError,
    statusCode: 500,
    message: 'token credentials endpoint answered 500: not a success status',
  })
  t.notMatch((html as InvalidResponseError).excerpt, TOKEN_SECRET, 'the excerpt hides secrets')
  t.notMatch((html as InvalidResponseError).excerpt, SECRET)
  await expectError(
    res => {
      res.setHeader('content-type', 'application/x-www-form-urlencoded')
      res.write(`oauth_token=t&pad=${'x'.repeat(1024 * 1024)}`)
      res.end()
    },
    { constructor: InvalidResponseError, message: /body exceeds 1048576 bytes/ },
  )
})

t.test('credentials never travel over plain http to another host', async t => {
  const c = client(t, { token: 't', verifier: 'v' })
  await t.rejects(c.fetchRequestToken('http://provider.example/initiate'), InsecureTransportError)
  await t.rejects(c.fetchAccessToken('http://provider.example/token'), InsecureTransportError)
})

t.test('request errors from signing reach the caller', async t => {
  const { url, seen } = await endpoint(t, form('ok'))
  const c = client(t, { baseUrl: url, signatureType: 'body' })
  await t.rejects(c.post('/r', { json: { a: 1 } }), {
    name: 'TypeError',
    message: /needs an application\/x-www-form-urlencoded body/,
  })
  t.equal(seen.length, 0, 'nothing was sent')
})

t.test('fetch: a string or URLSearchParams form body is signed; a real stream is refused', async t => {
  const { url, seen } = await endpoint(t, form('ok'))
  const c = client(t)
  const signed = await c.fetch(`${url}/r`, { method: 'POST', body: new URLSearchParams({ a: '1 2' }) })
  t.equal(signed.status, 200)
  await signed.text()
  t.equal(seen[0]?.body, 'a=1+2', 'the form arrives as written')
  t.match(seen[0]?.authorization, /^OAuth /)
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('a=1'))
      controller.close()
    },
  })
  const error = await c
    .fetch(`${url}/r`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      duplex: 'half',
    } as RequestInit)
    .catch((err: unknown) => err as Error)
  t.match(error, {
    name: 'TypeError',
    cause: { name: 'TypeError', message: /form-encoded body that arrives as a stream/ },
  })
  t.equal(seen.length, 1, 'nothing more was sent')
  const json = await c.fetch(`${url}/r`, {
    method: 'POST',
    body: '{"a":1}',
    headers: { 'content-type': 'application/json' },
  })
  t.equal(json.status, 200, 'other bodies go through fetch signed and intact')
  await json.text()
  t.equal(seen[1]?.body, '{"a":1}')
  t.match(seen[1]?.authorization, /^OAuth /)
})

t.test('secrets stay out of inspect and JSON', async t => {
  const c = client(t, {
    token: 'access-token-value',
    tokenSecret: TOKEN_SECRET,
    signatureMethod: 'RSA-SHA256',
    rsaKey: OAUTH1_CLIENT.rsaKey,
  })
  for (const text of [inspect(c, { depth: 10, showHidden: true }), JSON.stringify(c)]) {
    t.notMatch(text, SECRET)
    t.notMatch(text, TOKEN_SECRET)
    t.notMatch(text, 'access-token-value')
    t.notMatch(text, 'PRIVATE KEY')
    t.match(text, 'RSA-SHA256')
  }
  t.match(JSON.parse(JSON.stringify(c)), { clientId: 'key', signatureType: 'header', hasToken: true })
})
