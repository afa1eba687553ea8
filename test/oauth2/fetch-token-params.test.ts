/**
 * Issue 12: fetchToken and refreshToken parameters are exact. A snake_case or misspelt name throws
 * a TypeError naming it and the closest known name, before any request; parameters for the server
 * go in `extraParams`; a callback URL passed where the token endpoint goes throws, naming
 * `authorizationResponse`, before the client's credentials are sent to it.
 */
import t, { type Test } from 'tap'
import { checkKnownKeys, suggest } from '../../lib/http/options.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import { json, type RecordingServer, start } from '../fixtures/recording-server.js'

async function server(t: Test): Promise<RecordingServer> {
  const s = await start()
  t.teardown(s.close)
  s.respond((_request, res) =>
    json(res, { access_token: 'at-1', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-1' }),
  )
  return s
}

function client(t: Test, s: RecordingServer): OAuth2Client {
  const c = new OAuth2Client({
    clientId: 'app',
    clientSecret: 'app-secret-123',
    tokenEndpoint: `${s.url}/token`,
    redirectUri: 'https://app.example/cb',
  })
  t.teardown(() => c.close())
  return c
}

const callback = 'https://app.example/cb?code=c1&state=s1'

t.test('snake_case and misspelt names throw before any request, with a suggestion', async t => {
  const s = await server(t)
  const c = client(t, s)
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { authorization_response: callback, code_verifier: 'v'.repeat(43) },
      /^unknown fetchToken parameter `authorization_response`: did you mean `authorizationResponse`\?; put parameters for the server in `extraParams`$/,
    ],
    [
      { authorizationResponse: callback, sate: 's1' },
      /unknown fetchToken parameter `sate`: did you mean `state`\?/,
    ],
    [{ grant_type: 'password', username: 'a', password: 'b' }, /`grant_type`: did you mean `grantType`\?/],
    [{ codeVerifer: 'v' }, /`codeVerifer`: did you mean `codeVerifier`\?/],
    [
      { subject_token: 'st' },
      /^unknown fetchToken parameter `subject_token`; put parameters for the server in `extraParams`$/,
    ],
  ]
  for (const [params, message] of cases) {
    await t.rejects(c.fetchToken(undefined, params as never), { name: 'TypeError', message })
  }
  await t.rejects(c.refreshToken(undefined, { refresh_token: 'rt' } as never), {
    name: 'TypeError',
    message: /^unknown refreshToken parameter `refresh_token`: did you mean `refreshToken`\?/,
  })
  t.equal(s.seen.length, 0, 'the token endpoint received nothing')
  t.equal(c.token, undefined)
})

t.test('a callback URL where the token endpoint goes throws, naming authorizationResponse', async t => {
  const s = await server(t)
  const app = await start({ host: 'localhost' })
  t.teardown(app.close)
  const c = client(t, s)
  for (const url of [
    `${app.url}/cb?code=c1&state=s1`,
    `${app.url}/cb?error=access_denied`,
    `${app.url}/cb#state=s1`,
  ]) {
    await t.rejects(c.fetchToken(url, { state: 's1' }), {
      name: 'TypeError',
      message:
        /the first argument is the token endpoint.*pass the callback URL as \{ authorizationResponse \}/,
    })
  }
  t.equal(app.seen.length, 0, 'the callback origin received no credentials')
  t.equal(s.seen.length, 0)
  // A token endpoint URL with another query is still a token endpoint.
  await c.fetchToken(`${s.url}/token?tenant=t1`)
  t.equal(s.seen[0]?.url, '/token?tenant=t1')
})

t.test('extraParams are sent as given; the grant’s own names come from their options', async t => {
  const s = await server(t)
  const c = client(t, s)
  await c.fetchToken(undefined, {
    grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
    extraParams: { subject_token: 'st-1', resource: ['https://a.example', 'https://b.example'] },
  })
  t.same(
    [...new URLSearchParams(s.seen[0]!.body)],
    [
      ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      ['subject_token', 'st-1'],
      ['resource', 'https://a.example'],
      ['resource', 'https://b.example'],
    ],
  )
  await c.refreshToken(undefined, { extraParams: { audience: 'api' } })
  t.same(
    [...new URLSearchParams(s.seen[1]!.body)],
    [
      ['grant_type', 'refresh_token'],
      ['refresh_token', 'rt-1'],
      ['audience', 'api'],
    ],
  )
  const refused: [unknown, RegExp][] = [
    [{ grant_type: 'password' }, /extraParams\.grant_type is a parameter the client sets itself/],
    [{ n: 1 }, /extraParams\.n must be a string or an array of strings/],
    [{ n: ['a', 2] }, /extraParams\.n must be a string/],
    ['a=b', /extraParams must be an object/],
    [null, /extraParams must be an object/],
  ]
  for (const [extraParams, message] of refused) {
    await t.rejects(c.fetchToken(undefined, { extraParams } as never), { name: 'TypeError', message })
  }
  await t.rejects(c.refreshToken(undefined, { extraParams: { refresh_token: 'other' } }), {
    name: 'TypeError',
    message: /^refreshToken: extraParams\.refresh_token is a parameter the client sets itself/,
  })
  t.equal(s.seen.length, 2, 'no request for a refused call')
})

t.test('suggest and checkKnownKeys', async t => {
  const known = ['authorizationResponse', 'state', 'codeVerifier', 'scope']
  t.equal(suggest('authorization_response', known), 'authorizationResponse')
  t.equal(suggest('STATE', known), 'state')
  t.equal(suggest('sate', known), 'state')
  t.equal(suggest('scopes', known), 'scope')
  t.equal(suggest('code_verifer', known), 'codeVerifier')
  t.equal(suggest('nonce', known), undefined, 'nothing close')
  t.equal(suggest('x', []), undefined)
  t.doesNotThrow(() => checkKnownKeys('thing options', { state: 1, scope: 2 }, known))
  t.throws(() => checkKnownKeys('thing option', { state: 1, nonce: 2 }, known), {
    name: 'TypeError',
    message: 'unknown thing option `nonce` (known: authorizationResponse, state, codeVerifier, scope)',
  })
})
