import { openClientSockets, type ServerProcess } from './harness.js'
import { OAuth2Client } from './library.js'
import { round } from './stats.js'

const MB = 1024 * 1024
const MARK = 100_000
const CONCURRENCY = 64
/** The soak stops here even when fewer requests were sent. */
const MAX_SOAK_MS = 60 * 60 * 1000

/** A full collection when the bench runs with --expose-gc (npm run bench does), so RSS reads settle. */
function collect(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

/**
 * `total` GETs at c=64 through one OAuth2Client whose client_credentials token lives 10 s (so it is
 * renewed all along), sampling RSS and open sockets every 250 ms. RSS is read after a full GC at
 * the 100,000th request and at the end; their difference is the growth figure.
 */
export async function soakBench(server: ServerProcess, total: number) {
  const url = `${server.origin}/resource`
  const baselineSockets = openClientSockets()
  await server.reset()
  const client = new OAuth2Client({
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    tokenEndpoint: `${server.origin}/token?ttl=10`,
    grantType: 'client_credentials',
  })
  let peakRss = 0
  let maxClientSockets = 0
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    maxClientSockets = Math.max(maxClientSockets, openClientSockets() - baselineSockets)
  }
  const sampler = setInterval(sample, 250)
  let rssAt100k: number | undefined
  let issued = 0
  let done = 0
  const started = performance.now()
  const deadline = started + MAX_SOAK_MS
  const worker = async () => {
    while (issued < total && performance.now() < deadline) {
      issued++
      const { body } = await client.get(url)
      await body.dump()
      if (++done === MARK) {
        collect()
        rssAt100k = process.memoryUsage.rss()
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  sample()
  collect()
  const rssEnd = process.memoryUsage.rss()
  const stats = await server.stats()
  await client.close()
  return {
    requests: done,
    seconds: round(seconds),
    rps: Math.round(done / seconds),
    tokenCalls: stats.tokenCalls,
    rssAt100kMB: rssAt100k === undefined ? undefined : round(rssAt100k / MB),
    rssEndMB: round(rssEnd / MB),
    rssGrowthMB: rssAt100k === undefined ? undefined : round((rssEnd - rssAt100k) / MB),
    peakRssMB: round(peakRss / MB),
    maxServerSockets: stats.maxOpenSockets,
    maxClientSockets,
  }
}
