/**
 * The fleet figures of issue 14 (bench/README.md "Fleet"), against a redis-server of their own:
 *
 * 1. hot path: OAuth2Client.get with a RedisTokenStore and a fresh token against raw undici at
 *    c=64 (paired runs, median of the per-round ratios), and Redis `INFO commandstats` over those
 *    requests (goal: 0 commands);
 * 2. renewals across processes: 8 worker processes (test/fleet/worker.ts), each an OAuth2Client
 *    on its own RedisTokenStore (ioredis and node-redis alternately), renew a 1-second
 *    client_credentials token together, round after round: Redis commands sent per renewal per
 *    process (each TokenStore call is one command; goal <= 4), with `INFO commandstats` (which
 *    also counts the commands the Lua scripts run) as a cross-check, and the time from the holder's fenced save (the moment it called `save`) to the
 *    last waiting process having the new token (its updateToken call), p50/p99 (goal p99 <= 50 ms).
 *
 * Part of `npm run bench`; alone: `npm run build && node --import tsx bench/fleet.ts [--requests N]
 * [--rounds N] [--renewals N]`.
 */
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { Pool } from 'undici'
import { startRedis } from '../test/fixtures/redis-server.js'
import { type FleetEvent, fleetConfigs, pastExpiry, startFleet, updatesIn } from '../test/fleet/fleet.js'
import { runLoad, type ServerProcess, startServerProcess } from './harness.js'
import { OAuth2Client, RedisTokenStore } from './library.js'
import { median, percentile, round, table } from './stats.js'

const CONCURRENCY = 64
const WORKERS = 8
/** GETs per process in each renewal round, all started at once on the due token. */
const ROUND_REQUESTS = 10

export interface FleetBenchOptions {
  /** Requests per measured run of the hot path. */
  requests: number
  rounds: number
  /** Renewal rounds across the 8 processes. */
  renewals: number
  maxRunMs: number
}

/** Calls per command since the last CONFIG RESETSTAT, without the bench's own INFO and CONFIG. */
async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats')
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1]!
    if (name === 'info' || name.startsWith('config')) continue
    calls[name] = Number(match[2])
  }
  return calls
}

const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0)
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

async function hotPath(server: ServerProcess, redisUrl: string, admin: Redis, options: FleetBenchOptions) {
  const tokenEndpoint = `${server.origin}/token?ttl=3600`
  const pool = new Pool(server.origin, { connections: CONCURRENCY })
  const storeConnection = new Redis(redisUrl)
  // RedisTokenStore treats a connection that is not ready yet as an outage.
  await once(storeConnection, 'ready')
  const client = new OAuth2Client({
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    tokenEndpoint,
    grantType: 'client_credentials',
    tokenStore: new RedisTokenStore(storeConnection),
  })
  // The first request obtains the token through the store (that renewal is not measured).
  await (await client.get(`${server.origin}/resource`)).body.dump()
  const headers = { authorization: `Bearer ${client.token!.access_token}` }
  const raw = async () => {
    const { body } = await pool.request({ path: '/resource', method: 'GET', headers })
    await body.dump()
  }
  const ours = async () => {
    const { body } = await client.get(`${server.origin}/resource`)
    await body.dump()
  }
  await runLoad(raw, Math.ceil(options.requests / 4), CONCURRENCY, options.maxRunMs)
  await runLoad(ours, Math.ceil(options.requests / 4), CONCURRENCY, options.maxRunMs)

  await admin.config('RESETSTAT')
  const ratios: number[] = []
  let requests = 0
  for (let r = 0; r < options.rounds; r++) {
    const rawFirst = r % 2 === 0
    const first = await runLoad(rawFirst ? raw : ours, options.requests, CONCURRENCY, options.maxRunMs)
    const second = await runLoad(rawFirst ? ours : raw, options.requests, CONCURRENCY, options.maxRunMs)
    const [rawRun, ourRun] = rawFirst ? [first, second] : [second, first]
    ratios.push(ourRun.rps / rawRun.rps)
    requests += ourRun.requests
  }
  const commands = await commandStats(admin)
  await client.close()
  await pool.close()
  storeConnection.disconnect()
  return {
    ratio: round(median(ratios)),
    ratios: ratios.map(round),
    requests,
    redisCommands: sum(commands),
    commands,
  }
}

async function renewals(server: ServerProcess, redisUrl: string, admin: Redis, options: FleetBenchOptions) {
  const fleet = await startFleet(
    fleetConfigs(WORKERS, {
      redisUrl,
      resource: server.origin,
      prefix: 'bench-fleet:',
      client: {
        kind: 'oauth2',
        options: {
          tokenEndpoint: `${server.origin}/token?ttl=1`,
          clientId: 'bench-client',
          clientSecret: 'bench-secret',
          grantType: 'client_credentials',
        },
      },
    }),
  )
  try {
    // A cold start first, so that every round below renews a token that expired.
    await fleet.burst(1)
    /** Per round: commands sent by each process (its TokenStore calls), and INFO's count / 8. */
    const sent: number[][] = []
    const holderSent: number[] = []
    const perProcess: number[] = []
    const tokenCalls: number[] = []
    const spreads: number[] = []
    const byCommand: Record<string, number> = {}
    for (let r = 0; r < options.renewals; r++) {
      await pastExpiry(fleet, 50)
      const from = fleet.events.length
      await admin.config('RESETSTAT')
      await server.reset()
      const outcomes = (await fleet.burst(ROUND_REQUESTS)).flat()
      const commands = await commandStats(admin)
      const failed = outcomes.filter(outcome => outcome.status !== 200).length
      if (failed > 0) throw new Error(`renewal round ${r}: ${failed} requests failed`)
      tokenCalls.push((await server.stats()).tokenCalls)
      perProcess.push(sum(commands) / WORKERS)
      for (const [name, calls] of Object.entries(commands)) byCommand[name] = (byCommand[name] ?? 0) + calls
      const events = fleet.events.slice(from)
      const calls = new Array<number>(WORKERS).fill(0)
      for (const event of events) if (event.type === 'store') calls[event.worker]!++
      sent.push(calls)
      const save = events.find(
        (event): event is Extract<FleetEvent, { type: 'store' }> =>
          event.type === 'store' && event.method === 'save' && event.result === true,
      )
      if (save !== undefined) holderSent.push(calls[save.worker]!)
      const adopted = updatesIn(events).filter(update => update.source === 'store')
      if (save !== undefined && adopted.length === WORKERS - 1) {
        spreads.push(Math.max(...adopted.map(update => update.at)) - save.startedAt)
      }
    }
    return {
      rounds: options.renewals,
      tokenCalls,
      commandsPerRenewalPerProcess: {
        mean: round(mean(sent.flat())),
        holder: round(mean(holderSent)),
        worstProcess: Math.max(...sent.flat()),
      },
      infoCommandsPerRenewalPerProcess: round(mean(perProcess)),
      infoCommandsPerRenewal: Object.fromEntries(
        Object.entries(byCommand).map(([name, calls]) => [name, round(calls / options.renewals)]),
      ),
      saveToLastWaiterMs: {
        rounds: spreads.length,
        p50: round(percentile(spreads, 50)),
        p99: round(percentile(spreads, 99)),
      },
    }
  } finally {
    await fleet.stop()
  }
}

export async function fleetBench(options: FleetBenchOptions) {
  const redis = await startRedis()
  const server = await startServerProcess()
  const admin = new Redis(redis.url)
  try {
    const hot = await hotPath(server, redis.url, admin, options)
    const renewal = await renewals(server, redis.url, admin, options)
    return { hotPath: hot, renewals: renewal }
  } finally {
    admin.disconnect()
    server.kill()
    await redis.stop()
  }
}

export type FleetResults = Awaited<ReturnType<typeof fleetBench>>

export function fleetRows(results: FleetResults): string[][] {
  const { hotPath: hot, renewals: renewal } = results
  return [
    [
      `OAuth2Client.get + RedisTokenStore, fresh token, ratio to raw undici at c=${CONCURRENCY}`,
      `${hot.ratio}x (rounds ${hot.ratios.join(', ')})`,
    ],
    [`Redis commands over those ${hot.requests.toLocaleString('en')} requests`, String(hot.redisCommands)],
    [
      `token calls per renewal round (${WORKERS} processes x ${ROUND_REQUESTS} GETs on the due token)`,
      renewal.tokenCalls.join(', '),
    ],
    [
      'Redis commands sent per renewal per process: mean / the holder / worst process',
      `${renewal.commandsPerRenewalPerProcess.mean} / ${renewal.commandsPerRenewalPerProcess.holder} / ${renewal.commandsPerRenewalPerProcess.worstProcess}`,
    ],
    [
      "INFO commandstats per renewal (scripts' own calls included), per process / by command",
      `${renewal.infoCommandsPerRenewalPerProcess} / ${Object.entries(renewal.infoCommandsPerRenewal)
        .map(([name, calls]) => `${name} ${calls}`)
        .join(', ')}`,
    ],
    [
      `fenced save -> last of ${WORKERS - 1} waiting processes has the token, p50 / p99 (${renewal.saveToLastWaiterMs.rounds} rounds)`,
      `${renewal.saveToLastWaiterMs.p50} / ${renewal.saveToLastWaiterMs.p99} ms`,
    ],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util')
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '5' },
      renewals: { type: 'string', default: '20' },
    },
  })
  const results = await fleetBench({
    requests: Number(values.requests),
    rounds: Number(values.rounds),
    renewals: Number(values.renewals),
    maxRunMs: 30_000,
  })
  console.log(table(['fleet (Redis store)', 'value'], fleetRows(results)))
  console.log(JSON.stringify(results, null, 2))
  process.exit(0)
}
