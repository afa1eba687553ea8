/**
 * Issue 11 item 9 and the parse-once note: a token answer that cannot be used is refused when it
 * is parsed (InvalidResponseError), not at the first request: expires_in <= 0, an access or
 * refresh token that cannot go in an HTTP header, a token_type other than Bearer. A token the user
 * sets is held to the same rules (TypeError). Answers are JSON-parsed once, however deep.
 */
import t, { type Test } from 'tap'
import { InvalidResponseError, OAuthError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { json, type RecordingServer, start } from '../fixtures/recording-server.js'

async function server(t: Test): Promise<RecordingServer> {
  const s = await start()
  t.teardown(s.close)
  return s
}

function client(t: Test, s: RecordingServer): OAuth2Client {
  const c = new OAuth2Client({ clientId: 'app', clientSecret: 'app-secret', tokenEndpoint: `${s.url}/token` })
  t.teardown(() => c.close())
  return c
}

const good = { access_token: 'at-1', token_type: 'Bearer', expires_in: 60 }

const unusable: [string, Record<string, unknown>, RegExp][] = [
  ['expires_in 0', { expires_in: 0 }, /expires_in must be a positive number of seconds, got 0/],
  ['expires_in negative', { expires_in: -30 }, /expires_in must be a positive number of seconds, got -30/],
  ['expires_in "0" as a string', { expires_in: '0' }, /got 0/],
  ['expires_in too large to be finite', { expires_in: '1e400' }, /expires_in is not a number/],
  [
    'CR LF in access_token',
    { access_token: 'at\r\nX-Injected: 1' },
    /access_token holds U\+0D at position 2/,
  ],
  ['a space in access_token', { access_token: 'at 1' }, /access_token holds U\+20 at position 2/],
  ['a NUL in access_token', { access_token: 'at\u0000' }, /U\+00/],
  ['non-ASCII in access_token', { access_token: 'jeton-é' }, /access_token holds U\+E9 at position 6/],
  ['LF in refresh_token', { refresh_token: 'rt\n1' }, /refresh_token holds U\+0A/],
  ['an empty refresh_token', { refresh_token: '' }, /refresh_token is empty/],
  [
    'token_type mac',
    { token_type: 'mac' },
    /token_type must be Bearer \(RFC 6750 §4\) or DPoP \(RFC 9449 §5\), got 'mac'/,
  ],
  // Without the `dpop` option a DPoP-bound token could not be used (test/oauth2/dpop-*.test.ts).
  ['token_type DPoP', { token_type: 'DPoP' }, /token_type DPoP \(RFC 9449 §5\) needs a DPoP key/],
  ['token_type N_A', { token_type: 'N_A' }, /got 'N_A'/],
  ['a long token_type', { token_type: 'x'.repeat(100) }, /got 'x{40}…'/],
]

t.test('the token endpoint: unusable answers are refused at parse time, nothing stored or sent', async t => {
  const s = await server(t)
  const c = client(t, s)
  for (const [what, fields, message] of unusable) {
    s.respond((_request, res) => json(res, { ...good, ...fields }))
    const err = await c.fetchToken().catch((e: unknown) => e)
    t.ok(err instanceof InvalidResponseError, `${what}: InvalidResponseError`)
    t.match((err as Error).message, /^token endpoint answered 200 with an invalid token: /, what)
    t.match((err as Error).message, message, what)
    t.equal(c.token, undefined, `${what}: not stored`)
  }
  t.equal(s.seen.length, unusable.length, 'one token request each, and no resource request')
})

t.test('usable answers: Bearer in any case, any visible ASCII token', async t => {
  const s = await server(t)
  const c = client(t, s)
  const visible = `at!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`
  for (const type of ['Bearer', 'bearer', 'BEARER']) {
    s.respond((_request, res) =>
      json(res, { ...good, access_token: visible, token_type: type, expires_in: '30' }),
    )
    const token = await c.fetchToken()
    t.equal(token.token_type, type)
    t.equal(token.expires_in, 30)
  }
  s.respond((request, res) => json(res, { authorization: request.headers.authorization }))
  const { body } = await c.get(`${s.url}/resource`)
  t.same(await body.json(), { authorization: `Bearer ${visible}` }, 'the token goes on a request as it came')
})

t.test('the implicit fragment is held to the same rules', async t => {
  const s = await server(t)
  const c = client(t, s)
  const cases: [string, RegExp][] = [
    ['access_token=at%0D%0AX&token_type=Bearer', /access_token holds U\+0D/],
    ['access_token=at-1&token_type=mac', /token_type must be Bearer/],
    ['access_token=at-1&token_type=Bearer&expires_in=0', /expires_in must be a positive/],
  ]
  for (const [fragment, message] of cases) {
    const err = await c
      .fetchToken(undefined, { authorizationResponse: `https://app.example/cb#${fragment}` })
      .catch((e: unknown) => e)
    t.ok(err instanceof InvalidResponseError, fragment)
    t.match((err as Error).message, /^implicit authorization response carries an invalid token: /)
    t.match((err as Error).message, message)
    t.equal(c.token, undefined)
  }
  t.equal(s.seen.length, 0)
})

t.test('a token the user sets with such values throws TypeError', async t => {
  for (const [what, fields, message] of unusable) {
    if (what.includes('1e400')) continue
    t.throws(() => new OAuth2Client({ token: { ...good, ...fields } as never }), TypeError, what)
    const c = new OAuth2Client()
    t.teardown(() => c.close())
    const err = (() => {
      try {
        c.token = { ...good, ...fields } as never
      } catch (e) {
        return e
      }
    })()
    t.ok(err instanceof TypeError, `${what}: setter`)
    t.match((err as Error).message, message)
    t.equal(c.token, undefined)
  }
})

t.test('a deeply nested answer is parsed once and still classified', async t => {
  const s = await server(t)
  const c = client(t, s)
  const depth = 20_000
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`
  const parse = JSON.parse
  let parses = 0
  const bodies: string[] = []
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
    if (bodies.includes(text)) parses++
    return parse(text, reviver)
  }) as typeof JSON.parse
  t.teardown(() => {
    JSON.parse = parse
  })
  const answers: [number, string, (err: unknown) => void][] = [
    [
      400,
      `{"x":${nested},"error":"invalid_grant","error_description":"deep"}`,
      err => {
        t.ok(err instanceof OAuthError && !(err instanceof InvalidResponseError))
        t.match(err, { error: 'invalid_grant', description: 'deep', statusCode: 400 })
      },
    ],
    [
      200,
      `{"error":"slow_down","x":${nested}}`,
      err => t.match(err, { error: 'slow_down', statusCode: 200 }),
    ],
    [
      200,
      `{"x":${nested}}`,
      err => {
        t.ok(err instanceof InvalidResponseError)
        t.match(err, { message: /access_token is missing/ })
      },
    ],
    [
      500,
      nested,
      err => t.match(err, { constructor: InvalidResponseError, message: /not a success status/ }),
    ],
  ]
  for (const [status, body, check] of answers) {
    bodies.push(body)
    s.respond((_request, res) => {
      res.statusCode = status
      res.setHeader('content-type', 'application/json')
      res.end(body)
    })
    parses = 0
    check(await c.fetchToken().catch((e: unknown) => e))
    t.equal(parses, 1, `${status}: the body was parsed once`)
  }
})
