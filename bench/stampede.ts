import type { PreparedRequest } from '../lib/http/prepared-request.js'
import type { ServerProcess } from './harness.js'
import { OAuth2Client } from './library.js'
import { median, percentile, round } from './stats.js'

/** Records when each request that had to wait for a token got it. */
class TimedClient extends OAuth2Client {
  releases: number[] = []
  protected override authorize(request: PreparedRequest, signal?: AbortSignal): void | Promise<void> {
    const pending = super.authorize(request, signal)
    if (pending === undefined) return
    return pending.then(() => {
      this.releases.push(performance.now())
    })
  }
}

/** `size` GETs started in one synchronous loop; end-to-end latency of each, and when the loop ended. */
async function burst(client: OAuth2Client, url: string, size: number) {
  const latencies: number[] = new Array(size)
  const pending: Promise<void>[] = []
  const started = performance.now()
  for (let i = 0; i < size; i++) {
    const start = performance.now()
    pending.push(
      client.get(url).then(async response => {
        await response.body.dump()
        latencies[i] = performance.now() - start
      }),
    )
  }
  const launchEnd = performance.now()
  await Promise.all(pending)
  return { latencies, launchEnd, launchMs: launchEnd - started }
}

/**
 * The refresh stampede: `size` concurrent GETs on a client whose token has expired. Counts the
 * token-endpoint calls they cause and the latency the wait for the new token adds, measured two
 * ways: from the end of the caller's launch loop to each request getting its token, and as the
 * difference of end-to-end percentiles against the same burst on a fresh token (same round, same
 * warm pool). "One token round trip" is the median of 20 sequential fetchToken calls.
 */
export async function stampedeBench(server: ServerProcess, size: number, rounds: number) {
  const url = `${server.origin}/resource`
  const perRound: {
    tokenCalls: number
    tokenRoundTripMs: number
    launchMs: number
    addedP50: number
    addedP99: number
    expired: { p50: number; p99: number }
    fresh: { p50: number; p99: number }
  }[] = []
  for (let r = 0; r < rounds; r++) {
    const client = new TimedClient({
      clientId: 'bench-client',
      clientSecret: 'bench-secret',
      tokenEndpoint: `${server.origin}/token?ttl=3600`,
      grantType: 'client_credentials',
    })
    const trips: number[] = []
    for (let i = 0; i < 20; i++) {
      const started = performance.now()
      await client.fetchToken(undefined, { grantType: 'client_credentials' })
      trips.push(performance.now() - started)
    }
    const fresh = await burst(client, url, size)
    client.token = {
      access_token: 'expired',
      token_type: 'Bearer',
      expires_at: Math.floor(Date.now() / 1000) - 10,
    }
    await server.reset()
    const expired = await burst(client, url, size)
    const { tokenCalls } = await server.stats()
    if (client.releases.length !== size)
      throw new Error(`${client.releases.length} of ${size} stampede requests waited for the token`)
    const added = client.releases.map(at => at - expired.launchEnd)
    perRound.push({
      tokenCalls,
      tokenRoundTripMs: median(trips),
      launchMs: expired.launchMs,
      addedP50: percentile(added, 50),
      addedP99: percentile(added, 99),
      expired: { p50: percentile(expired.latencies, 50), p99: percentile(expired.latencies, 99) },
      fresh: { p50: percentile(fresh.latencies, 50), p99: percentile(fresh.latencies, 99) },
    })
    await client.close()
  }
  const med = (pick: (round: (typeof perRound)[number]) => number) => round(median(perRound.map(pick)))
  return {
    size,
    tokenCalls: perRound.map(p => p.tokenCalls),
    tokenRoundTripMs: med(p => p.tokenRoundTripMs),
    launchMs: med(p => p.launchMs),
    addedP50Ms: med(p => p.addedP50),
    addedP99Ms: med(p => p.addedP99),
    expired: { p50: med(p => p.expired.p50), p99: med(p => p.expired.p99) },
    fresh: { p50: med(p => p.fresh.p50), p99: med(p => p.fresh.p99) },
    endToEndAddedP50Ms: med(p => p.expired.p50 - p.fresh.p50),
    endToEndAddedP99Ms: med(p => p.expired.p99 - p.fresh.p99),
  }
}
