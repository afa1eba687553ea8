/**
 * Property tests (issue 6) for the OAuth2Client entry points that parse caller input before any
 * I/O: createAuthorizationUrl with arbitrary parameters, the token setter, and fetchToken with an
 * arbitrary authorizationResponse. The token endpoint is http://127.0.0.1:9 (nothing listens), so
 * whatever does get sent fails at once with undici's connection error.
 */
import fc from 'fast-check'
import t from 'tap'
import { OAuthError } from '../../lib/errors.js'
import type { AuthorizationUrlParams } from '../../lib/oauth2/authorization-request.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import {
  MARK,
  noise,
  RUNS,
  secret,
  settings,
  valueOrTypedError,
  valueOrTypedErrorAsync,
  wellFormed,
} from '../fixtures/property.js'

const CLIENT_SECRET = `${MARK}client-secret "with" spaces & é`

function client(): OAuth2Client {
  return new OAuth2Client({
    clientId: 'property-client',
    clientSecret: CLIENT_SECRET,
    authorizationEndpoint: 'https://as.example/authorize?tenant=1',
    tokenEndpoint: 'http://127.0.0.1:9/token',
    redirectUri: 'https://app.example/cb',
    scope: 'openid profile',
    tokenRetries: 0,
  })
}

const extraValue: fc.Arbitrary<unknown> = fc.oneof(
  noise(20),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(fc.oneof(noise(8), fc.integer()), { maxLength: 3 }),
  fc.constant(Symbol('s')),
  fc.constant(Object.create(null) as object),
  fc.dictionary(noise(4), noise(4), { maxKeys: 2 }),
)

/** What URLSearchParams makes of a value appended with String(value). */
function expectedValues(value: unknown): string[] {
  if (value === undefined || value === null) return []
  const items = Array.isArray(value) ? value : [value]
  return items.map(item => new URLSearchParams([['', String(item)]]).get('') ?? '')
}

const AUTHORIZATION_URL_PARAMS = [
  'state',
  'codeVerifier',
  'nonce',
  'scope',
  'redirectUri',
  'responseType',
  'extraParams',
]

t.test('createAuthorizationUrl: any parameters give a URL carrying them, or a TypeError', async t => {
  await using oauth = client()
  const params = fc.record(
    {
      state: fc.oneof(secret, wellFormed(), noise()),
      codeVerifier: fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/), noise()),
      nonce: noise(),
      scope: fc.oneof(noise(), fc.array(noise(8), { maxLength: 3 })),
      redirectUri: noise(),
      responseType: fc.constantFrom('code', 'token', 'code id_token', 'none'),
      extraParams: fc.dictionary(noise(10), extraValue, { maxKeys: 4 }),
      stray: fc.dictionary(noise(10), extraValue, { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  )
  const endpoint = fc.option(
    fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), noise(30)),
    {
      nil: undefined,
    },
  )
  fc.assert(
    fc.property(endpoint, params, (url, input) => {
      const { stray = {}, ...named } = input
      // Values of every type on purpose: what TypeScript would refuse, JavaScript callers can pass.
      const all = { ...stray, ...named } as AuthorizationUrlParams
      const outcome = valueOrTypedError(
        () => oauth.createAuthorizationUrl(url, all),
        [TypeError],
        [CLIENT_SECRET],
      )
      if (!('value' in outcome)) return
      if (Object.keys(stray).some(name => !AUTHORIZATION_URL_PARAMS.includes(name)))
        throw new Error('an unknown parameter name was accepted')
      const result = outcome.value
      const query = new URL(result.url).searchParams
      if (query.get('state') !== new URLSearchParams([['', result.state]]).get('')) throw new Error('state')
      if (input.state !== undefined && result.state !== input.state) throw new Error('given state replaced')
      if (result.url.includes(encodeURIComponent(CLIENT_SECRET)) || result.url.includes(CLIENT_SECRET))
        throw new Error('client secret in the authorization URL')
      if ((input.responseType ?? 'code').split(' ').includes('code')) {
        if (query.get('code_challenge_method') !== 'S256' || result.codeVerifier === undefined)
          throw new Error('no PKCE')
      }
      for (const [name, value] of Object.entries(input.extraParams ?? {})) {
        const got = query.getAll(name)
        for (const wanted of expectedValues(value))
          if (!got.includes(wanted)) throw new Error(`extra ${name} lost`)
      }
    }),
    settings(),
  )
  t.pass(`${RUNS} cases`)
})

const tokenLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        access_token: fc.oneof(
          secret,
          fc.constant(''),
          fc.integer(),
          fc.constant(null),
          fc.object({ maxDepth: 1 }),
        ),
        token_type: fc.oneof(fc.constantFrom('Bearer', 'bearer'), fc.constant(''), fc.integer()),
        expires_in: fc.oneof(
          fc.integer({ min: -100, max: 1e9 }),
          fc.double(),
          fc.constantFrom('3600', ' 60 ', '', 'abc', '1e400', 'Infinity'),
          fc.object({ maxDepth: 1 }),
          fc.constant(null),
        ),
        expires_at: fc.oneof(
          fc.integer(),
          fc.double(),
          fc.constantFrom('1700000000', 'x'),
          fc.constant(null),
        ),
        refresh_token: fc.oneof(secret, fc.integer(), fc.constant(null)),
        scope: fc.oneof(noise(), fc.array(noise(5))),
        id_token: fc.oneof(noise(), fc.boolean()),
      },
      { requiredKeys: [] },
    ),
  },
)

t.test(
  'token setter: a valid token is stored, anything else is a TypeError with no secret in it',
  async t => {
    await using oauth = client()
    fc.assert(
      fc.property(tokenLike, value => {
        const planted = [CLIENT_SECRET]
        if (value !== null && typeof value === 'object') {
          for (const name of ['access_token', 'refresh_token']) {
            const field = (value as Record<string, unknown>)[name]
            if (typeof field === 'string' && field.startsWith(MARK)) planted.push(field)
          }
        }
        const outcome = valueOrTypedError(
          () => {
            oauth.token = value as OAuth2Token
          },
          [TypeError],
          planted,
        )
        if (!('value' in outcome)) return
        const stored = oauth.token
        if (value === undefined) {
          if (stored !== undefined) throw new Error('undefined did not clear the token')
          return
        }
        if (stored === undefined) throw new Error('nothing stored')
        if (typeof stored.access_token !== 'string' || stored.access_token === '')
          throw new Error('access_token')
        if (typeof stored.token_type !== 'string' || stored.token_type === '') throw new Error('token_type')
        for (const name of ['expires_in', 'expires_at'] as const) {
          const field = stored[name]
          if (field !== undefined && !Number.isFinite(field)) throw new Error(name)
        }
        oauth.token = undefined
      }),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

const PARAM_NAMES = [
  'code',
  'state',
  'error',
  'error_description',
  'access_token',
  'token_type',
  'expires_in',
]

/** Only credentials carry planted secrets; error texts are echoed in messages by design. */
const CREDENTIALS = new Set(['code', 'state', 'access_token'])

const responsePair: fc.Arbitrary<[string, string]> = fc
  .tuple(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PARAM_NAMES) }, { weight: 1, arbitrary: noise(6) }),
    fc.oneof(secret, noise(20)),
  )
  .map(([name, value]): [string, string] => [
    name,
    name === 'token_type' ? 'Bearer' : CREDENTIALS.has(name) || !value.startsWith(MARK) ? value : 'x',
  ])

const authorizationResponse = fc.oneof(
  { weight: 1, arbitrary: noise(60) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        query: fc.array(responsePair, { maxLength: 4 }),
        fragment: fc.option(fc.array(responsePair, { maxLength: 4 }), { nil: undefined }),
      })
      .map(({ query, fragment }) => {
        const url = new URL('https://app.example/cb')
        url.search = new URLSearchParams(query).toString()
        if (fragment !== undefined) url.hash = new URLSearchParams(fragment).toString()
        return url.href
      }),
  },
)

t.test(
  'fetchToken({ authorizationResponse }): a token, an OAuthError or a TypeError before any request; else a connection error',
  async t => {
    await using oauth = client()
    let sent = 0
    const started = performance.now()
    await fc.assert(
      fc.asyncProperty(
        authorizationResponse,
        fc.option(fc.oneof(secret, wellFormed(10)), { nil: undefined }),
        async (redirect, state) => {
          const planted = [CLIENT_SECRET]
          // Noise such as '//' is no URL even against a base: it plants nothing.
          const parsed = URL.parse(redirect, 'https://x.invalid/')
          for (const value of parsed?.searchParams.values() ?? [])
            if (value.startsWith(MARK) && value.length >= 8) planted.push(value)
          if (state?.startsWith(MARK)) planted.push(state)
          const outcome = await valueOrTypedErrorAsync(
            () => oauth.fetchToken(undefined, { authorizationResponse: redirect, state }),
            [OAuthError, TypeError, Error],
            planted,
          )
          if ('value' in outcome) {
            if (typeof outcome.value.access_token !== 'string' || outcome.value.access_token === '')
              throw new Error('bad token')
            return
          }
          const error = outcome.error
          if (error instanceof OAuthError || error instanceof TypeError) return
          // Only the token request itself may fail otherwise: undici's connection error, unchanged.
          const code = (error as { code?: unknown }).code
          if (code !== 'ECONNREFUSED' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT_TIMEOUT')
            throw error
          sent++
        },
      ),
      settings(),
    )
    t.ok(performance.now() - started < 15_000, `${RUNS} cases, ${sent} reached the (closed) token endpoint`)
  },
)
