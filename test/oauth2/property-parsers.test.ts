/**
 * Property tests (issue 6) for the OAuth 2 parsers a server or a caller feeds: authorization
 * response URLs, token endpoint answers, RFC 6749 §5.2 errors, body excerpts and WWW-Authenticate.
 * Arbitrary input gives a value of the right shape or a documented OAuthError, never another
 * kind of crash, and no planted secret ever reaches a message.
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { InvalidResponseError, MismatchingStateError, OAuthError } from '../../lib/errors.js'
import { endpointError, excerpt, parseJsonObject } from '../../lib/http/endpoint-errors.js'
import { readAuthorizationResponse } from '../../lib/oauth2/authorization-response.js'
import { isInvalidTokenChallenge, parseWwwAuthenticate } from '../../lib/oauth2/bearer.js'
import { type OAuth2Token, parseTokenResponse, toToken } from '../../lib/oauth2/token.js'
import {
  assertNoSecret,
  MARK,
  noise,
  RUNS,
  secret,
  settings,
  valueOrTypedError,
  wellFormed,
} from '../fixtures/property.js'

// --- authorization responses ------------------------------------------------------------------

const PARAM_NAMES = [
  'code',
  'state',
  'error',
  'error_description',
  'error_uri',
  'access_token',
  'token_type',
  'expires_in',
  'scope',
]
/** Names whose values are credentials: they get planted secrets, the others hostile text. */
const CREDENTIAL_NAMES = new Set(['code', 'access_token', 'state'])

const pair: fc.Arbitrary<[string, string]> = fc.oneof(
  fc
    .constantFrom(...PARAM_NAMES)
    .chain(name =>
      (CREDENTIAL_NAMES.has(name) ? fc.oneof(secret, fc.constant('')) : noise()).map(
        (value): [string, string] => [name, value],
      ),
    ),
  fc.tuple(noise(12), noise()),
)

const redirectBase = fc.constantFrom(
  'https://app.example/callback',
  'http://127.0.0.1:8080/cb?x=1',
  'com.example.app:/oauth2redirect',
  'https://app.example/cb#',
)

const authorizationResponse = fc.record({
  base: redirectBase,
  query: fc.array(pair, { maxLength: 6 }),
  fragment: fc.option(fc.array(pair, { maxLength: 6 }), { nil: undefined }),
})

function buildRedirect(input: {
  base: string
  query: [string, string][]
  fragment: [string, string][] | undefined
}): string {
  const url = new URL(input.base)
  const query = new URLSearchParams(url.search)
  for (const [name, value] of input.query) query.append(name, value)
  url.search = query.toString()
  if (input.fragment !== undefined) url.hash = new URLSearchParams(input.fragment).toString()
  return url.href
}

t.test('readAuthorizationResponse: the documented outcome for any redirect URL', async t => {
  fc.assert(
    fc.property(
      authorizationResponse,
      fc.option(fc.oneof(secret, wellFormed()), { nil: undefined }),
      fc.boolean(),
      fc.boolean(),
      (input, other, echo, codeFlow) => {
        const redirect = buildRedirect(input)
        // Model: the query unless it lacks code and error and the fragment carries a response.
        const url = new URL(redirect)
        const fragment = new URLSearchParams(url.hash.slice(1))
        const query = url.searchParams
        const fromFragment =
          !query.has('code') &&
          !query.has('error') &&
          ['access_token', 'code', 'error'].some(n => fragment.has(n))
        const params = fromFragment ? fragment : query
        // Half the time the caller expects the state the response carries.
        const expected = echo && params.get('state') !== null ? (params.get('state') ?? undefined) : other
        const planted = [...input.query, ...(input.fragment ?? [])]
          .filter(([name]) => CREDENTIAL_NAMES.has(name))
          .map(([, value]) => value)
        if (expected !== undefined) planted.push(expected)

        const outcome = valueOrTypedError(
          () => readAuthorizationResponse(redirect, { state: expected, codeFlow }),
          [OAuthError],
          // A planted secret can still show up inside a hostile error text by chance: only check
          // secrets that the error fields themselves do not carry.
          planted.filter(
            s =>
              s.startsWith(MARK) &&
              !(params.get('error') ?? '').includes(s) &&
              !(params.get('error_description') ?? '').includes(s),
          ),
        )
        if (query.has('access_token')) {
          if (!('error' in outcome) || !(outcome.error instanceof InvalidResponseError))
            throw new Error('a token in the query was accepted')
          return
        }
        const error = params.get('error')
        if (error !== null) {
          if (!('error' in outcome)) throw new Error('an error response was accepted')
          if (outcome.error instanceof MismatchingStateError || outcome.error instanceof InvalidResponseError)
            throw new Error(`an error response became ${outcome.error.name}`)
          if ((outcome.error as OAuthError).error !== error) throw new Error('error code not carried')
          return
        }
        const state = params.get('state')
        if (state !== (expected ?? null)) {
          if (!('error' in outcome) || !(outcome.error instanceof MismatchingStateError))
            throw new Error('a mismatching or unexpected state was accepted')
          return
        }
        const code = params.get('code')
        if (code === null && (!params.has('access_token') || codeFlow)) {
          if (!('error' in outcome) || outcome.error instanceof MismatchingStateError)
            throw new Error('a response without a usable grant was accepted')
          return
        }
        if (!('value' in outcome)) throw outcome.error
        const grant = outcome.value
        if (code !== null) {
          if (!('code' in grant) || grant.code !== code) throw new Error('wrong code')
          return
        }
        const fields = Object.fromEntries(params)
        delete fields.state
        delete fields.iss
        if (!('token' in grant) || !isDeepStrictEqual(grant.token, fields))
          throw new Error('wrong token fields')
      },
    ),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('readAuthorizationResponse: arbitrary strings give a value or an OAuthError', async t => {
  fc.assert(
    fc.property(
      fc.oneof(
        noise(80),
        wellFormed(80).map(s => `https://a.example/?${s}`),
        wellFormed(80).map(s => `https://a.example/#${s}`),
      ),
      fc.option(noise(), { nil: undefined }),
      (redirect, expected) => {
        const outcome = valueOrTypedError(
          () => readAuthorizationResponse(redirect, { state: expected, codeFlow: false }),
          [OAuthError],
        )
        if ('value' in outcome && !('code' in outcome.value) && !('token' in outcome.value))
          throw new Error('neither a code nor a token')
      },
    ),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

// --- token endpoint answers --------------------------------------------------------------------

/** A JSON value of a wrong or awkward type for a token field. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.constantFrom('', ' ', '1e400', '-1', '0x10', '12 ', 'Infinity', 'NaN', '3600', '1e308'),
  noise(),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(noise(6), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
)

interface Planted {
  clientSecret: string
  refreshToken: string
}

/** A token-endpoint-like JSON object: right fields with wrong types, errors, echoes of secrets. */
function tokenObject(planted: Planted): fc.Arbitrary<Record<string, unknown>> {
  const echo = fc.oneof(
    noise(),
    noise().map(s => `${s}${planted.clientSecret}${s}`),
    noise().map(s => `${planted.refreshToken} ${s}`),
  )
  return fc.record(
    {
      access_token: fc.oneof(secret, wrongValue),
      token_type: fc.oneof(fc.constantFrom('Bearer', 'bearer', 'DPoP', 'mac'), wrongValue),
      expires_in: fc.oneof(fc.integer({ min: -10, max: 1e9 }), wrongValue),
      expires_at: wrongValue,
      refresh_token: fc.oneof(secret, wrongValue),
      scope: fc.oneof(noise(), wrongValue),
      id_token: wrongValue,
      error: fc.oneof(echo, wrongValue),
      error_description: fc.oneof(echo, wrongValue),
      error_uri: fc.oneof(echo, wrongValue),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  )
}

function tokenBody(planted: Planted): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: tokenObject(planted).map(o => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: noise(200) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '"x"',
        '1',
        '{"error":null}',
        '{"error":["invalid_grant"]}',
        '[{"error":"invalid_grant"}]',
        '<html>502 Bad Gateway</html>',
        '{"__proto__":{"access_token":"x","token_type":"Bearer"}}',
        '{"__proto__":{"error":"x"},"access_token":"x","token_type":"Bearer"}',
        '{"access_token":"x","token_type":"Bearer","constructor":1,"toString":2,"hasOwnProperty":3}',
      ),
    },
    // JSON escapes of lone surrogates and a huge string value.
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"access_token":"\\ud800","token_type":"Bearer"}',
        `{"access_token":"${'a'.repeat(200_000)}","token_type":"Bearer"}`,
      ),
    },
    // Deep nesting.
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 50_000 }).map(n => `${'['.repeat(n)}${']'.repeat(n)}`),
    },
    // The planted secrets verbatim in a text body.
    {
      weight: 1,
      arbitrary: fc
        .tuple(noise(), noise())
        .map(([a, b]) => `${a}${planted.clientSecret}${b}${planted.refreshToken}`),
    },
  )
}

const statusCode = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(200, 201, 204) },
  { weight: 3, arbitrary: fc.constantFrom(400, 401, 403, 429, 500, 502, 503) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) },
)

const answer = fc.record({ clientSecret: secret, refreshToken: secret }).chain(planted =>
  fc.record({
    planted: fc.constant(planted),
    response: fc.record({
      statusCode,
      headers: fc.constant({} as Record<string, string | string[]>),
      body: tokenBody(planted),
    }),
  }),
)

function assertTokenShape(token: OAuth2Token): void {
  if (typeof token.access_token !== 'string' || !/^[\x21-\x7E]+$/.test(token.access_token))
    throw new Error('bad access_token')
  if (token.refresh_token !== undefined && !/^[\x21-\x7E]+$/.test(token.refresh_token))
    throw new Error('bad refresh_token')
  if (typeof token.token_type !== 'string' || token.token_type.toLowerCase() !== 'bearer')
    throw new Error('bad token_type')
  if (token.expires_in !== undefined && !(token.expires_in > 0)) throw new Error('bad expires_in')
  for (const name of ['expires_in', 'expires_at'] as const) {
    const value = token[name]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      throw new Error(`bad ${name}`)
  }
  if (token.expires_in !== undefined && token.expires_at === undefined)
    throw new Error('expires_at not computed')
  for (const name of ['refresh_token', 'scope', 'id_token']) {
    if (token[name] !== undefined && typeof token[name] !== 'string') throw new Error(`bad ${name}`)
  }
}

function jsonObjectOf(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

t.test('parseTokenResponse: a valid token or an OAuthError, never a secret in it', async t => {
  fc.assert(
    fc.property(answer, fc.double({ min: 0, max: 4e9, noNaN: true }), ({ planted, response }, issuedAt) => {
      const secrets = [planted.clientSecret, planted.refreshToken]
      // A caller's secret may hold a lone surrogate (no UTF-8 or URI form); redaction must cope.
      const withIllFormed = [...secrets, `${MARK}bad\uD800secret`]
      const outcome = valueOrTypedError(
        () => parseTokenResponse(response, issuedAt, withIllFormed),
        [OAuthError],
        secrets,
      )
      const object = jsonObjectOf(response.body)
      const success = response.statusCode >= 200 && response.statusCode <= 299
      if ('value' in outcome) {
        if (!success) throw new Error(`status ${response.statusCode} gave a token`)
        if (object === undefined || typeof object.error === 'string')
          throw new Error('a non-token body gave a token')
        assertTokenShape(outcome.value)
        return
      }
      const error = outcome.error as OAuthError
      if (error.statusCode !== response.statusCode) throw new Error('statusCode not carried')
      if (typeof object?.error === 'string') {
        if (error instanceof InvalidResponseError)
          throw new Error('an RFC 6749 §5.2 error became InvalidResponseError')
      } else if (!(error instanceof InvalidResponseError)) {
        throw new Error(`expected InvalidResponseError, got ${error.name}`)
      }
      if (error instanceof InvalidResponseError && error.excerpt !== undefined && error.excerpt.length > 121)
        throw new Error('excerpt too long')
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('parseJsonObject: a JSON object or an OAuthError', async t => {
  fc.assert(
    fc.property(answer, ({ planted, response }) => {
      const secrets = [planted.clientSecret, planted.refreshToken]
      const outcome = valueOrTypedError(
        () => parseJsonObject(response, 'metadata endpoint', secrets),
        [OAuthError],
        secrets,
      )
      if ('value' in outcome) {
        const value = outcome.value
        if (value === null || typeof value !== 'object' || Array.isArray(value))
          throw new Error('not an object')
        if (response.statusCode < 200 || response.statusCode > 299) throw new Error('non-2xx accepted')
        if (typeof value.error === 'string') throw new Error('an error body accepted')
      }
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('endpointError: the (redacted) RFC 6749 §5.2 error, else an InvalidResponseError', async t => {
  fc.assert(
    fc.property(answer, ({ planted, response }) => {
      const secrets = [planted.clientSecret, planted.refreshToken]
      const result = endpointError(response, 'token endpoint', secrets)
      const object =
        jsonObjectOf(response.body) ??
        (jsonArrayOrOther(response.body) as Record<string, unknown> | undefined)
      if (typeof object?.error !== 'string') {
        if (!(result instanceof InvalidResponseError)) throw new Error('an OAuthError without a string error')
      } else if (!(result instanceof OAuthError) || result instanceof InvalidResponseError)
        throw new Error('wrong class')
      if (result.statusCode !== response.statusCode) throw new Error('statusCode not carried')
      assertNoSecret(result, secrets)
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

function jsonArrayOrOther(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

class Rejected extends Error {}

t.test('toToken: a valid token or the caller’s failure, and the input is left unchanged', async t => {
  const fields = fc.record({ clientSecret: secret, refreshToken: secret }).chain(tokenObject)
  fc.assert(
    fc.property(fields, fc.double({ min: -1e12, max: 1e12, noNaN: true }), (input, issuedAt) => {
      const before = JSON.stringify(input)
      const outcome = valueOrTypedError(
        () =>
          toToken(input, issuedAt, reason => {
            throw new Rejected(reason)
          }),
        [Rejected],
      )
      if (JSON.stringify(input) !== before) throw new Error('input modified')
      if ('value' in outcome) assertTokenShape(outcome.value)
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('excerpt: short, whitespace folded, no credential-like run, no known secret', async t => {
  const input = fc.record({ a: secret, b: secret }).chain(({ a, b }) =>
    fc.record({
      secrets: fc.constant([a, b, undefined, '']),
      body: fc
        .array(
          fc.oneof(
            noise(60),
            fc.constant(a),
            fc.constant(b),
            fc.constant(' '.repeat(300)),
            fc.constant('A'.repeat(30)),
          ),
          {
            maxLength: 12,
          },
        )
        .map(parts => parts.join('')),
    }),
  )
  fc.assert(
    fc.property(input, ({ secrets, body }) => {
      const text = excerpt(body, secrets)
      if (text.length > 121) throw new Error(`length ${text.length}`)
      if (/\s\s/.test(text) || text !== text.trim()) throw new Error('whitespace not folded')
      if (/[A-Za-z0-9\-._~+/=]{24,}/.test(text)) throw new Error('a credential-like run survived')
      for (const s of secrets) if (s && text.includes(s)) throw new Error(`secret ${s} in ${text}`)
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

// --- WWW-Authenticate ---------------------------------------------------------------------------

const tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const httpToken = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 10 })
const quotable = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', ' ', ',', '=', '\t'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 20,
})

interface Generated {
  scheme: string
  params: [string, string][]
}

const challenge: fc.Arbitrary<Generated> = fc.record({
  scheme: httpToken,
  params: fc.uniqueArray(fc.tuple(httpToken, quotable), {
    maxLength: 4,
    selector: ([name]) => name.toLowerCase(),
  }),
})

function serialize(challenges: Generated[], ws: string): string {
  return challenges
    .map(
      c =>
        `${c.scheme}${c.params.length === 0 ? '' : ' '}${c.params
          .map(([name, value]) => `${name}${ws}=${ws}"${value.replace(/[\\"]/g, m => `\\${m}`)}"`)
          .join(`${ws},${ws}`)}`,
    )
    .join(`${ws}, `)
}

t.test('parseWwwAuthenticate: never throws; schemes and names are lower-case tokens', async t => {
  const values = fc.oneof(
    fc.constant(undefined),
    noise(120),
    fc.array(noise(60), { maxLength: 4 }),
    fc
      .array(
        fc.oneof(
          noise(8),
          httpToken,
          fc.constantFrom('=', '"', ',', ' ', '\\', 'Bearer', 'error=', 'invalid_token'),
        ),
        { maxLength: 30 },
      )
      .map(parts => parts.join('')),
  )
  fc.assert(
    fc.property(values, value => {
      const challenges = parseWwwAuthenticate(value)
      if (!Array.isArray(challenges)) throw new Error('not an array')
      for (const c of challenges) {
        if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(c.scheme))
          throw new Error(`scheme ${JSON.stringify(c.scheme)}`)
        for (const [name, v] of Object.entries(c.params)) {
          if (name !== '' && !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name))
            throw new Error(`name ${JSON.stringify(name)}`)
          if (typeof v !== 'string') throw new Error('value not a string')
        }
      }
      const invalid = isInvalidTokenChallenge(value)
      if (invalid !== challenges.some(c => c.scheme === 'bearer' && c.params.error === 'invalid_token'))
        throw new Error('isInvalidTokenChallenge disagrees with the parse')
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('parseWwwAuthenticate: serialized challenges read back as they were written', async t => {
  fc.assert(
    fc.property(
      fc.array(challenge, { maxLength: 4 }),
      fc.constantFrom('', ' ', '\t'),
      fc.boolean(),
      (challenges, ws, split) => {
        const value = split ? challenges.map(c => serialize([c], ws)) : serialize(challenges, ws)
        const parsed = parseWwwAuthenticate(value)
        const expected = challenges.map(c => ({
          scheme: c.scheme.toLowerCase(),
          params: Object.fromEntries(c.params.map(([n, v]) => [n.toLowerCase(), v])),
        }))
        if (!isDeepStrictEqual(parsed, expected))
          throw new Error(`${JSON.stringify(value)} read as ${JSON.stringify(parsed)}`)
        const withBearer = [
          ...challenges,
          { scheme: 'Bearer', params: [['error', 'invalid_token']] as [string, string][] },
        ]
        if (!isInvalidTokenChallenge(serialize(withBearer, ws)))
          throw new Error('invalid_token challenge missed')
      },
    ),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

t.test('parseWwwAuthenticate: a 64 KiB hostile header parses in linear time', async t => {
  const chunk = fc.constantFrom(
    'Bearer ',
    'a'.repeat(50),
    '='.repeat(40),
    ' '.repeat(40),
    '"',
    '\\',
    ', ',
    'x=',
    'realm="',
    '\t',
  )
  fc.assert(
    fc.property(fc.array(chunk, { minLength: 1, maxLength: 8 }), parts => {
      const value = parts
        .join('')
        .repeat(Math.ceil(65_536 / parts.join('').length))
        .slice(0, 65_536)
      const started = performance.now()
      parseWwwAuthenticate(value)
      const elapsed = performance.now() - started
      if (elapsed > 250) throw new Error(`took ${elapsed.toFixed(0)} ms`)
    }),
    settings(Math.min(RUNS, 200)),
  )
  t.pass('linear')
})
