/**
 * The OAuth 2 wire messages as pure functions (issue 13): each grant's token request body, the
 * RFC 7009/7662 token hint body, the RFC 6750 placements and the query-append helper, without a
 * client or a server. OAuth2Client's own tests show the same bodies reach a real endpoint.
 */
import t from 'tap'
import { InvalidResponseError, MissingTokenError, OAuthError } from '../../lib/errors.js'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { appendQuery, HTTP_TOKEN, LEADING_HTTP_TOKEN } from '../../lib/http/syntax.js'
import { buildAuthorizationUrl } from '../../lib/oauth2/authorization-request.js'
import { accessTokenIn, bearerAuthorization, placeInForm, placeInQuery } from '../../lib/oauth2/bearer.js'
import {
  authorizationCodeGrant,
  credentialsGrant,
  fetchTokenRequest,
  passwordGrant,
  refreshTokenGrant,
  refreshTokenRequest,
} from '../../lib/oauth2/grants.js'
import { readIntrospectionResponse } from '../../lib/oauth2/introspection.js'
import { checkRevocationResponse, tokenHintBody } from '../../lib/oauth2/revocation.js'

const defaults = {
  redirectUri: 'https://app.example/cb',
  scope: 'read',
  issuer: undefined,
  issRequired: false,
}

t.test('each grant builds its RFC 6749 body in the order the RFC lists its parameters', async t => {
  t.equal(
    authorizationCodeGrant('c1', 'https://app.example/cb', 'v'.repeat(43)).toString(),
    `grant_type=authorization_code&code=c1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=${'v'.repeat(43)}`,
  )
  t.equal(
    authorizationCodeGrant('c1', undefined, undefined).toString(),
    'grant_type=authorization_code&code=c1',
  )
  t.throws(() => authorizationCodeGrant(undefined, undefined, undefined), TypeError)
  t.equal(
    passwordGrant({ username: 'u', password: 'p', scope: 'a b' }).toString(),
    'grant_type=password&username=u&password=p&scope=a+b',
  )
  t.throws(() => passwordGrant({ username: 'u' }), /needs username and password/)
  t.equal(
    credentialsGrant('client_credentials', { scope: 'read' }).toString(),
    'grant_type=client_credentials&scope=read',
  )
  t.equal(credentialsGrant('urn:example:grant', {}).toString(), 'grant_type=urn%3Aexample%3Agrant')
  t.equal(refreshTokenGrant('rt', undefined).toString(), 'grant_type=refresh_token&refresh_token=rt')
  t.equal(refreshTokenGrant('rt', 'a').toString(), 'grant_type=refresh_token&refresh_token=rt&scope=a')
})

t.test('fetchTokenRequest infers the grant, applies the defaults and appends extraParams', async t => {
  const code = fetchTokenRequest({ code: 'c1' }, defaults)
  t.same('body' in code && [...code.body], [
    ['grant_type', 'authorization_code'],
    ['code', 'c1'],
    ['redirect_uri', 'https://app.example/cb'],
  ])
  const password = fetchTokenRequest({ username: 'u', password: 'p', scope: ['x', 'y'] }, defaults)
  t.equal('body' in password && password.body.get('scope'), 'x y')
  const credentials = fetchTokenRequest({ extraParams: { audience: ['a1', 'a2'] } }, defaults)
  t.equal(
    'body' in credentials && credentials.body.toString(),
    'grant_type=client_credentials&scope=read&audience=a1&audience=a2',
  )
  t.throws(
    () => fetchTokenRequest({ extraParams: { scope: 'x' } }, defaults),
    /extraParams.scope is a parameter the client sets itself/,
  )
  const implicit = fetchTokenRequest(
    {
      authorizationResponse: 'https://app.example/cb#access_token=at&token_type=Bearer&state=s1',
      state: 's1',
    },
    defaults,
  )
  t.same(implicit, { token: { access_token: 'at', token_type: 'Bearer' } })
})

t.test('refreshTokenRequest uses the given refresh token, else the current one', async t => {
  t.equal(refreshTokenRequest({}, 'current').refreshToken, 'current')
  t.equal(refreshTokenRequest({ refreshToken: 'given' }, 'current').body.get('refresh_token'), 'given')
  t.throws(() => refreshTokenRequest({}, undefined), MissingTokenError)
})

t.test('tokenHintBody: RFC 7009 §2.1 token and its default hint', async t => {
  const current = { access_token: 'at', token_type: 'Bearer', refresh_token: 'rt' }
  t.equal(tokenHintBody({}, current).toString(), 'token=rt&token_type_hint=refresh_token')
  t.equal(
    tokenHintBody({}, { access_token: 'at', token_type: 'Bearer' }).toString(),
    'token=at&token_type_hint=access_token',
  )
  t.equal(tokenHintBody({ token: 'x' }, current).toString(), 'token=x')
  t.equal(
    tokenHintBody({ token: 'x', tokenTypeHint: 'access_token' }, current).toString(),
    'token=x&token_type_hint=access_token',
  )
  t.throws(() => tokenHintBody({}, undefined), MissingTokenError)
})

t.test('revocation and introspection answers', async t => {
  const answer = (statusCode: number, body: string) => ({ statusCode, headers: {}, body })
  t.doesNotThrow(() => checkRevocationResponse(answer(200, ''), []))
  t.throws(() => checkRevocationResponse(answer(400, '{"error":"unsupported_token_type"}'), []), OAuthError)
  t.same(readIntrospectionResponse(answer(200, '{"active":false}'), []), { active: false })
  t.throws(() => readIntrospectionResponse(answer(200, '{"active":"yes"}'), []), InvalidResponseError)
})

function request(url: string, method = 'POST', form?: URLSearchParams): PreparedRequest {
  return { method, url: new URL(url), headers: {}, body: form?.toString() ?? null, form }
}

t.test('RFC 6750 placements, and reading the token back', async t => {
  const header = request('https://api.example/r')
  header.headers.authorization = bearerAuthorization('at/1')
  t.equal(accessTokenIn(header, 'header'), 'at/1')
  const query = request('https://api.example/r?a=1')
  placeInQuery(query, 'at/1')
  t.equal(query.url.search, '?a=1&access_token=at%2F1')
  t.equal(accessTokenIn(query, 'uri'), 'at/1')
  const form = request('https://api.example/r', 'POST', new URLSearchParams({ a: '1' }))
  placeInForm(form, 'at')
  t.equal(form.body, 'a=1&access_token=at')
  t.equal(accessTokenIn(form, 'body'), 'at')
  t.throws(
    () => placeInForm(request('https://api.example/r', 'GET', new URLSearchParams()), 'at'),
    OAuthError,
  )
})

t.test('appendQuery and the RFC 9110 token patterns', async t => {
  const url = new URL('https://a.example/p')
  appendQuery(url, 'x=1')
  appendQuery(url, 'y=2')
  t.equal(url.search, '?x=1&y=2')
  t.ok(HTTP_TOKEN.test('PATCH'))
  t.notOk(HTTP_TOKEN.test('GET /'))
  t.equal(LEADING_HTTP_TOKEN.exec('Bearer realm')?.[0], 'Bearer')
})

t.test('buildAuthorizationUrl keeps the endpoint query and adds PKCE only for code', async t => {
  const settings = {
    clientId: 'app',
    redirectUri: undefined,
    scope: undefined,
    codeChallengeMethod: 'S256' as const,
  }
  const code = buildAuthorizationUrl('https://as.example/auth?tenant=t', { state: 's' }, settings)
  const url = new URL(code.url)
  t.equal(url.searchParams.get('tenant'), 't')
  t.equal(url.searchParams.get('code_challenge_method'), 'S256')
  t.ok(code.codeVerifier)
  const implicit = buildAuthorizationUrl('https://as.example/auth', { responseType: 'token' }, settings)
  t.notOk(new URL(implicit.url).searchParams.has('code_challenge'))
  t.throws(() => buildAuthorizationUrl(undefined, {}, settings), /configure authorizationEndpoint/)
})
