/**
 * The token helper (issue 12, simple-oauth2's `expired()`): `isTokenExpired(token, leeway)` on a
 * plain token, and `tokenExpired` on the token-holding clients, which follows the client's own
 * renewal rule (leeway, at most half the token's lifetime early).
 */
import t from 'tap'
import { isTokenExpired, OAuth2Client, type OAuth2Token } from '../../lib/index.js'
import { startServer } from '../fixtures/http-server.js'

const now = () => Date.now() / 1000
const bearer = (fields: Partial<OAuth2Token> = {}): OAuth2Token => ({
  access_token: 'at',
  token_type: 'Bearer',
  ...fields,
})

t.test('isTokenExpired compares expires_at (epoch seconds) with the clock, less the leeway', async t => {
  t.equal(isTokenExpired(bearer()), false, 'no expires_at: not expired')
  t.equal(isTokenExpired(bearer({ expires_in: 10 })), false, 'expires_in alone states no moment')
  t.equal(isTokenExpired(bearer({ expires_at: null as unknown as number })), false, 'null is absent')
  t.equal(isTokenExpired(bearer({ expires_at: now() - 1 })), true, 'a second ago')
  t.equal(isTokenExpired(bearer({ expires_at: now() + 3600 })), false, 'in an hour')
  t.equal(isTokenExpired(bearer({ expires_at: now() + 3600 }), 3599), false, 'inside the leeway: not yet')
  t.equal(isTokenExpired(bearer({ expires_at: now() + 30 }), 60), true, 'within the leeway')
  t.equal(isTokenExpired(bearer({ expires_at: now() + 30 }), 10), false, 'outside the leeway')
  t.equal(isTokenExpired(bearer({ expires_at: now() + 30 })), false, 'default leeway 0')
  t.equal(isTokenExpired(bearer({ expires_at: 0 })), true, 'epoch 0')
})

t.test('isTokenExpired refuses what it cannot judge', async t => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'no token',
      () => isTokenExpired(undefined as unknown as OAuth2Token),
      /token must be an OAuth2Token object; got undefined/,
    ],
    ['null token', () => isTokenExpired(null as unknown as OAuth2Token), /got null/],
    [
      'negative leeway',
      () => isTokenExpired(bearer(), -1),
      /leeway must be a non-negative number of seconds; got -1/,
    ],
    ['NaN leeway', () => isTokenExpired(bearer(), Number.NaN), /got NaN/],
    ['string leeway', () => isTokenExpired(bearer(), '60' as unknown as number), /leeway .* got string/],
    [
      'string expires_at',
      () => isTokenExpired(bearer({ expires_at: '1700000000' as unknown as number })),
      /expires_at must be a number of epoch seconds; got string/,
    ],
    ['NaN expires_at', () => isTokenExpired(bearer({ expires_at: Number.NaN })), /expires_at .* got number/],
  ]
  for (const [what, run, message] of cases) t.throws(run, { name: 'TypeError', message }, what)
})

t.test('client.tokenExpired: true without a token, then the client renewal rule', async t => {
  await using client = new OAuth2Client({ clientId: 'c', leeway: 60 })
  t.equal(client.tokenExpired, true, 'no token')

  client.token = bearer({ expires_in: 3600 })
  t.equal(client.tokenExpired, false, 'an hour left')

  client.token = bearer()
  t.equal(client.tokenExpired, false, 'a token that states no expiry')

  client.token = bearer({ expires_at: now() - 5 })
  t.equal(client.tokenExpired, true, 'expired')

  // A 30-second token: the leeway (60 s) exceeds it, so the client renews at half its lifetime
  // (15 s early), and the token is not due yet although isTokenExpired(token, 60) says expired.
  client.token = bearer({ expires_in: 30 })
  t.equal(client.tokenExpired, false, 'a 30 s token with 60 s leeway: renewed 15 s early, not now')
  t.equal(isTokenExpired(client.token!, 60), true, 'the plain helper has no half-lifetime cap')

  // 100 s lifetime, 50 s left: renewed 60 s early, so due now.
  client.token = bearer({ expires_in: 100, expires_at: now() + 50 })
  t.equal(client.tokenExpired, true, 'inside the leeway')
  t.equal(isTokenExpired(client.token!), false, 'not yet past expires_at')

  client.token = undefined
  t.equal(client.tokenExpired, true, 'token removed')
})

t.test('tokenExpired turns false once a request obtained a token, and true when it is due', async t => {
  let issued = 0
  const server = await startServer((req, res) => {
    if (req.url === '/token') {
      issued++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          access_token: `t${issued}`,
          token_type: 'Bearer',
          expires_in: 1,
          refresh_token: 'r',
        }),
      )
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ authorization: req.headers.authorization }))
  })
  t.teardown(() => server.close())
  await using client = new OAuth2Client({
    clientId: 'c',
    clientSecret: 's',
    tokenEndpoint: `${server.url}/token`,
    leeway: 0,
  })
  t.equal(client.tokenExpired, true)
  await client.fetchToken()
  t.equal(client.tokenExpired, false, 'fresh token')
  const deadline = Date.now() + 5_000
  while (!client.tokenExpired && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(client.tokenExpired, true, 'a one-second token is due after a second')
  const response = await client.get(`${server.url}/api`)
  t.same(await response.body.json(), { authorization: 'Bearer t2' }, 'the next request refreshed it')
  t.equal(client.tokenExpired, false)
})
