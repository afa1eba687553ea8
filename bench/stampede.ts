import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { PreparedRequest } from '../lib/http/prepared-request.js'
import type { ServerProcess } from './harness.js'
import { OAuth2Client } from './library.js'
import { median, percentile, round } from './stats.js'

/** Records when each request that had to wait for a token got it. */
class TimedClient extends OAuth2Client {
  releases: number[] = []
  protected override authorize(request: PreparedRequest): void | Promise<void> {
    const pending = super.authorize(request)
    if (pending === undefined) return
    return pending.then(() => {
      this.releases.push(performance.now())
    })
  }
}

/**
 * Token round trips as the client sees them, from undici's own diagnostics channels: from the
 * moment undici takes the token POST (request:create, i.e. dispatch) to the moment it has parsed
 * the response's headers (request:headers). The body (a few hundred bytes) arrives with them.
 * Only requests to the token path are timed; subscribing costs every request a channel check.
 */
class TokenTrips {
  readonly trips: number[] = []
  readonly #started = new WeakMap<object, number>()
  readonly #onCreate = (message: unknown) => {
    const request = (message as { request: { path: string } }).request
    if (request.path.startsWith('/token')) this.#started.set(request, performance.now())
  }
  readonly #onHeaders = (message: unknown) => {
    const started = this.#started.get((message as { request: object }).request)
    if (started !== undefined) this.trips.push(performance.now() - started)
  }

  constructor() {
    subscribe('undici:request:create', this.#onCreate)
    subscribe('undici:request:headers', this.#onHeaders)
  }

  stop(): void {
    unsubscribe('undici:request:create', this.#onCreate)
    unsubscribe('undici:request:headers', this.#onHeaders)
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
  // The caller's own work ends once it waits: Promise.all over 10,000 promises takes ~0.5 ms.
  const all = Promise.all(pending)
  const launchEnd = performance.now()
  await all
  return { latencies, launchEnd, launchMs: launchEnd - started }
}

/**
 * The refresh stampede: `size` concurrent GETs on a client whose token has expired. Counts the
 * token-endpoint calls they cause and the latency the wait for the new token adds, measured two
 * ways: from the end of the caller's launch loop to each request getting its token, and as the
 * difference of end-to-end percentiles against the same burst on a fresh token (same round, same
 * warm pool). The token round trip (dispatch to response headers, see TokenTrips) is measured
 * twice: idle (median of 20 sequential fetchToken calls) and in situ (the one token POST the
 * stampede itself caused, while the event loop also carries the waiting requests).
 */
export async function stampedeBench(
  server: ServerProcess,
  size: number,
  rounds: number,
  tokenLatencyMs: number,
) {
  const url = `${server.origin}/resource`
  const perRound: {
    tokenCalls: number
    idleTripMs: number
    inSituTripMs: number
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
      tokenEndpoint: `${server.origin}/token?ttl=3600&latency=${tokenLatencyMs}`,
      grantType: 'client_credentials',
    })
    const idle = new TokenTrips()
    for (let i = 0; i < 20; i++) await client.fetchToken(undefined, { grantType: 'client_credentials' })
    idle.stop()
    const fresh = await burst(client, url, size)
    client.token = {
      access_token: 'expired',
      token_type: 'Bearer',
      expires_at: Math.floor(Date.now() / 1000) - 10,
    }
    await server.reset()
    const inSitu = new TokenTrips()
    const expired = await burst(client, url, size)
    inSitu.stop()
    const { tokenCalls } = await server.stats()
    if (client.releases.length !== size)
      throw new Error(`${client.releases.length} of ${size} stampede requests waited for the token`)
    if (inSitu.trips.length !== tokenCalls)
      throw new Error(`${inSitu.trips.length} token round trips timed for ${tokenCalls} token calls`)
    const added = client.releases.map(at => at - expired.launchEnd)
    perRound.push({
      tokenCalls,
      idleTripMs: median(idle.trips),
      inSituTripMs: Math.max(...inSitu.trips),
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
    tokenLatencyMs,
    tokenCalls: perRound.map(p => p.tokenCalls),
    idleTripMs: med(p => p.idleTripMs),
    inSituTripMs: med(p => p.inSituTripMs),
    launchMs: med(p => p.launchMs),
    addedP50Ms: med(p => p.addedP50),
    addedP99Ms: med(p => p.addedP99),
    /** Median over rounds of each round's p99 added latency / its own in-situ token round trip. */
    p99PerInSituTrip: med(p => p.addedP99 / p.inSituTripMs),
    p99PerIdleTrip: med(p => p.addedP99 / p.idleTripMs),
    expired: { p50: med(p => p.expired.p50), p99: med(p => p.expired.p99) },
    fresh: { p50: med(p => p.fresh.p50), p99: med(p => p.fresh.p99) },
    endToEndAddedP50Ms: med(p => p.expired.p50 - p.fresh.p50),
    endToEndAddedP99Ms: med(p => p.expired.p99 - p.fresh.p99),
  }
}
