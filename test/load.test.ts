/**
 * Load: 100,000 resource requests at concurrency 256 while the access token expires every second
 * and every refresh rotates the refresh token. No request may fail, the token endpoint is called
 * once per expiry, no refresh token is ever presented twice, and after close() the client leaves
 * no socket or timer behind. Bounded in count and in time; loopback only.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { OAuth2Client } from '../lib/oauth2/client.js'
import { startServer } from './fixtures/http-server.js'

const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 100_000)
const CONCURRENCY = 256
const TOKEN_LIFETIME_MS = 1_000
const TIME_LIMIT_MS = 120_000

/** Token endpoint with rotation: each refresh token works once; access tokens live one second. */
const accessTokens = new Map<string, number>()
const refreshTokens = new Set<string>()
const presented: string[] = []
let tokenCalls = 0
const token = await startServer((_req, res, body) => {
  tokenCalls++
  const form = new URLSearchParams(body.toString())
  const refresh = form.get('refresh_token') ?? ''
  presented.push(refresh)
  res.setHeader('content-type', 'application/json')
  if (form.get('grant_type') !== 'refresh_token' || !refreshTokens.delete(refresh)) {
    res.statusCode = 400
    return res.end('{"error":"invalid_grant"}')
  }
  const access = randomBytes(16).toString('hex')
  const next = randomBytes(16).toString('hex')
  accessTokens.set(access, Date.now() + TOKEN_LIFETIME_MS)
  refreshTokens.add(next)
  res.end(
    JSON.stringify({
      access_token: access,
      token_type: 'Bearer',
      expires_in: TOKEN_LIFETIME_MS / 1000,
      refresh_token: next,
    }),
  )
})
let rejected = 0
const resource = await startServer((req, res) => {
  const expiry = accessTokens.get(String(req.headers.authorization).slice(7)) ?? 0
  if (expiry > Date.now()) return res.end('ok')
  rejected++
  res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
})
t.teardown(async () => {
  await resource.close()
  await token.close()
})

t.test(`${REQUESTS} requests at concurrency ${CONCURRENCY}, token expiring every second`, async t => {
  refreshTokens.add('rt-0')
  const client = new OAuth2Client({
    clientId: 'load',
    clientSecret: 'load-secret',
    tokenEndpoint: `${token.url}/token`,
    // Renew at expiry, not before: one token-endpoint call per expiry.
    leeway: 0,
    token: { access_token: 'expired', token_type: 'Bearer', expires_at: 0, refresh_token: 'rt-0' },
  })
  const url = `${resource.url}/work`
  let sent = 0
  let failed = 0
  const reasons = new Set<string>()
  const started = Date.now()
  const worker = async () => {
    while (sent < REQUESTS && Date.now() - started < TIME_LIMIT_MS) {
      sent++
      try {
        const { statusCode, body } = await client.get(url)
        await body.dump()
        if (statusCode !== 200) {
          failed++
          reasons.add(`status ${statusCode}`)
        }
      } catch (err) {
        failed++
        reasons.add(String(err))
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (Date.now() - started) / 1000
  t.equal(
    sent,
    REQUESTS,
    `all sent within the time limit (${seconds.toFixed(1)} s, ${Math.round(REQUESTS / seconds)} req/s)`,
  )
  t.equal(failed, 0, `zero failed requests ${[...reasons].join('; ')}`)
  // Expiries as the server saw them: the expired token the client started with, and every
  // token issued during the run whose lifetime ended before the run did. (Counting wall-clock
  // seconds instead would drift by each renewal's own latency on a loaded machine.)
  const finished = Date.now()
  const expiries = 1 + [...accessTokens.values()].filter(expiry => expiry <= finished).length
  t.ok(Math.abs(tokenCalls - expiries) <= 1, `${tokenCalls} token calls for ${expiries} expiries`)
  // ...and no token was replaced early: each renewal came once the previous token had expired
  // (less the moments the token request spends in flight).
  const issued = [...accessTokens.values()].map(expiry => expiry - TOKEN_LIFETIME_MS)
  const early = issued.slice(1).filter((at, i) => at < issued[i]! + TOKEN_LIFETIME_MS - 250)
  t.same(early, [], 'every token lived out its lifetime before it was renewed')
  t.equal(new Set(presented).size, presented.length, 'no refresh token was ever sent twice')
  // A request that took the token in its last moment may still arrive just after the server's
  // expiry: its 401 is retried once with the renewed token, which is why none failed.
  t.comment(`${rejected} requests arrived just after their token expired and were retried`)
  t.ok(resource.connections <= 64, `${resource.connections} sockets (limit 64)`)

  await client.close()
  await resource.close()
  await token.close()
  // Handles close on the next turns of the event loop.
  await new Promise(resolve => setTimeout(resolve, 100))
  const left = process.getActiveResourcesInfo()
  t.comment(`active resources after close(): ${left.join(', ')}`)
  t.same(
    left.filter(name => name === 'TCPSocketWrap' || name === 'TCPServerWrap' || name === 'Timeout'),
    [],
    'no socket, server or timer left after close()',
  )
})
