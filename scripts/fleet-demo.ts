/**
 * `npm run demo:fleet`: 4 worker processes (2 on ioredis, 2 on node-redis), each its own
 * OAuth2Client on a RedisTokenStore, share one user grant whose refresh token rotates, against the
 * embedded oidc-provider and a redis-server of their own, all on 127.0.0.1. Tokens live 3 s, so
 * they expire several times while the workers keep GETs in flight; it prints the refresh calls at
 * the token endpoint against the expiries. Exits by itself (0 when every expiry took exactly one
 * refresh call and no request failed).
 */
import { startProvider } from '../test/fixtures/provider.js'
import { startRedis } from '../test/fixtures/redis-server.js'
import { startFleet, updatesIn } from '../test/fleet/fleet.js'
import { aliceGrantFleet, expiredUserToken } from '../test/fleet/password-grant.js'
import { startRecordingResource } from '../test/fleet/resource.js'

const WORKERS = 4
const TOKEN_LIFETIME = 3 // seconds
const LEEWAY = 1 // renewed 1 s before expiry
const SECONDS = 12
const IN_FLIGHT = 16 // GETs in flight per worker

const say = (text: string) => console.log(text)

const redis = await startRedis()
const op = await startProvider({ rotateRefreshToken: true, accessTokenTTL: TOKEN_LIFETIME })
const rs = await startRecordingResource(op.provider)
let fleet: Awaited<ReturnType<typeof startFleet>> | undefined
let ok = false
try {
  say(`authorization server  ${op.issuer} (refresh tokens rotate, access tokens live ${TOKEN_LIFETIME} s)`)
  say(`redis                 ${redis.url}`)
  const token = await expiredUserToken(op) // alice's grant; its access token has already expired
  op.counters.reset()
  fleet = await startFleet(
    aliceGrantFleet(
      WORKERS,
      { redisUrl: redis.url, resource: rs.url, tokenEndpoint: op.urls.token, token },
      { leeway: LEEWAY },
    ),
  )
  say(
    `${WORKERS} workers started (pids ${fleet.workers.map(worker => worker.pid).join(', ')}), store key ${fleet.workers[0]!.storeKey}`,
  )
  say(
    `each keeps ${IN_FLIGHT} GETs in flight for ${SECONDS} s; every one starts with the same expired token\n`,
  )

  const started = Date.now()
  const running = fleet.workers.map(worker =>
    worker.run({ type: 'loop', concurrency: IN_FLIGHT, durationMs: SECONDS * 1000 }, (SECONDS + 60) * 1000),
  )
  const report = () => {
    const updates = updatesIn(fleet!.events)
    say(
      `  ${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s   requests ${String(rs.arrivals.length).padStart(6)}   ` +
        `refresh calls ${op.counters.byGrantType['refresh_token'] ?? 0}   ` +
        `adopted from redis ${updates.filter(update => update.source === 'store').length}`,
    )
  }
  const ticker = setInterval(report, 2_000)
  const outcomes = (await Promise.all(running)).flat()
  clearInterval(ticker)
  report()

  // Expiries, counted from the tokens themselves: the first token was due at the start, and each
  // token the fleet got became due LEEWAY seconds before its expiry, an expiry if a request started
  // after that. Tokens due within a second of each other would be one expiry renewed twice: they
  // count once.
  // (reduce, not a spread: an idle machine answers over 100,000 requests in the run)
  const lastStart = outcomes.reduce((latest, outcome) => Math.max(latest, outcome.startedAt), 0)
  const due = [...new Set(updatesIn(fleet.events).map(update => update.expiresAt * 1000 - LEEWAY * 1000))]
    .filter(at => at < lastStart)
    .sort((a, b) => a - b)
  const expiries = 1 + due.filter((at, i) => i === 0 || at - due[i - 1]! > 1_000).length
  const calls = op.counters.byGrantType['refresh_token'] ?? 0
  const failures = outcomes.filter(outcome => outcome.status !== 200).length
  const presented = op.counters.refreshTokensPresented
  say(
    `\n${outcomes.length} requests from ${WORKERS} processes, ${failures} failures; ` +
      `${expiries} expiries, ${calls} refresh calls at the token endpoint`,
  )
  say(`every refresh token was sent once (no invalid_grant): ${new Set(presented).size === presented.length}`)
  ok = calls === expiries && failures === 0 && new Set(presented).size === presented.length
  say(ok ? 'one token call per expiry for the whole fleet' : 'UNEXPECTED: see the figures above')
} finally {
  await fleet?.stop()
  await rs.close()
  await op.close()
  await redis.stop()
}
process.exit(ok ? 0 : 1)
