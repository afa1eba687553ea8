// npm run bench [-- --requests N --rounds N --soak N ...]: see bench/README.md.
import { writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { CLIENTS, type ClientSpec, type LiveClient, type Target } from './clients.js'
import { dpopBench, dpopTable } from './dpop.js'
import { type LoadResult, runLoad, startServerProcess } from './harness.js'
import { signingBench } from './signing.js'
import { soakBench } from './soak.js'
import { stampedeBench } from './stampede.js'
import { median, round, table } from './stats.js'

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    signatures: { type: 'string', default: '50000' },
    stampede: { type: 'string', default: '10000' },
    'token-latency': { type: 'string', default: '20' },
    soak: { type: 'string', default: '300000' },
    'max-run-ms': { type: 'string', default: '30000' },
    'fleet-renewals': { type: 'string', default: '20' },
    out: { type: 'string', default: new URL('./results.json', import.meta.url).pathname },
  },
})

function count(name: keyof typeof args): number {
  const value = Number(args[name])
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`--${name} must be a positive integer`)
  return value
}

const REQUESTS = count('requests')
const ROUNDS = count('rounds')
const SIGNATURES = count('signatures')
const STAMPEDE = count('stampede')
const TOKEN_LATENCY = count('token-latency')
const SOAK = count('soak')
const MAX_RUN_MS = count('max-run-ms')
const FLEET_RENEWALS = count('fleet-renewals')
const CONCURRENCIES = [1, 64] as const

interface Cell {
  rps: number[]
  ratio: number[]
  cpuUs: number[]
}

async function fetchAccessToken(tokenEndpoint: string): Promise<string> {
  const { body } = await request(tokenEndpoint, { method: 'POST', body: 'grant_type=client_credentials' })
  return ((await body.json()) as { access_token: string }).access_token
}

async function throughput(target: Target) {
  const live = new Map<ClientSpec, LiveClient>()
  for (const spec of CLIENTS) live.set(spec, await spec.create(target))
  const cells = new Map<string, Cell>()
  const key = (spec: ClientSpec, c: number) => `${spec.name}\0${c}`
  for (const spec of CLIENTS)
    for (const c of CONCURRENCIES) cells.set(key(spec, c), { rps: [], ratio: [], cpuUs: [] })

  // Warm-up: JIT, sockets and token caches, for every client, not recorded.
  for (const [spec, client] of live) {
    for (const c of CONCURRENCIES) await runLoad(client.send, Math.ceil(REQUESTS / 4), c, MAX_RUN_MS)
    process.stdout.write(`  warmed up ${spec.name}\n`)
  }
  const limit = CLIENTS.find(spec => spec.kind === 'limit')!
  const record = (cell: Cell, result: LoadResult, ratio: number) => {
    cell.rps.push(result.rps)
    cell.cpuUs.push(result.cpuUs)
    cell.ratio.push(ratio)
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Rotating the order each round spreads slow drifts of the machine over every client.
    const order = [...CLIENTS.slice(r % CLIENTS.length), ...CLIENTS.slice(0, r % CLIENTS.length)]
    for (const spec of order) {
      if (spec === limit) continue
      for (const c of CONCURRENCIES) {
        // Each run is paired with a raw undici run right next to it, first in one round and
        // second in the next, so that the ratio compares two runs seconds apart on the same
        // machine state (the shared machine drifts over the minutes a round takes).
        const rawFirst = r % 2 === 0
        const first = await runLoad(live.get(rawFirst ? limit : spec)!.send, REQUESTS, c, MAX_RUN_MS)
        const second = await runLoad(live.get(rawFirst ? spec : limit)!.send, REQUESTS, c, MAX_RUN_MS)
        const [raw, result] = rawFirst ? [first, second] : [second, first]
        record(cells.get(key(limit, c))!, raw, 1)
        record(cells.get(key(spec, c))!, result, result.rps / raw.rps)
      }
    }
    process.stdout.write(`  round ${r + 1}/${ROUNDS} done\n`)
  }
  for (const client of live.values()) await client.close()

  return CLIENTS.map(spec => {
    const at = (c: number) => {
      const cell = cells.get(key(spec, c))!
      return {
        rps: round(median(cell.rps)),
        ratio: round(median(cell.ratio)),
        cpuUs: round(median(cell.cpuUs)),
        rounds: { rps: cell.rps.map(Math.round), ratio: cell.ratio.map(round), cpuUs: cell.cpuUs.map(round) },
      }
    }
    return { name: spec.name, kind: spec.kind, c1: at(1), c64: at(64) }
  })
}

type Stampede = Awaited<ReturnType<typeof stampedeBench>>

function stampedeRows(...runs: Stampede[]): string[][] {
  const row = (label: string, cell: (run: Stampede) => string) => [label, ...runs.map(cell)]
  return [
    row('token-endpoint calls (each round)', run => run.tokenCalls.join(', ')),
    row('token round trip, idle client (dispatch to response)', run => `${run.idleTripMs} ms`),
    row('token round trip in the stampede (dispatch to response)', run => `${run.inSituTripMs} ms`),
    row('launching the burst (caller loop)', run => `${run.launchMs} ms`),
    row('added latency p50 / p99', run => `${run.addedP50Ms} / ${run.addedP99Ms} ms`),
    row(
      'p99 added latency / token round trip, in situ (idle)',
      run => `${run.p99PerInSituTrip}x (${run.p99PerIdleTrip}x)`,
    ),
    row('end-to-end p50 / p99, expired token', run => `${run.expired.p50} / ${run.expired.p99} ms`),
    row('end-to-end p50 / p99, fresh token', run => `${run.fresh.p50} / ${run.fresh.p99} ms`),
  ]
}

function check(name: string, holds: boolean, detail: string) {
  return { name, holds, detail }
}

async function main() {
  const started = Date.now()
  const loadAtStart = loadavg().map(round)
  console.log(
    `undici-oauth bench: ${REQUESTS} requests per run, ${ROUNDS} rounds, Node ${process.version}, ` +
      `${availableParallelism()} CPUs, load average ${loadAtStart.join(' / ')}`,
  )
  const server = await startServerProcess()
  const tokenEndpoint = `${server.origin}/token?ttl=3600`
  const target: Target = {
    origin: server.origin,
    resource: `${server.origin}/resource`,
    tokenEndpoint,
    accessToken: await fetchAccessToken(tokenEndpoint),
  }

  console.log('throughput (interleaved rounds)')
  await server.reset()
  const clients = await throughput(target)
  const served = await server.stats()
  if (served.withoutAuthorization > 0)
    throw new Error(`${served.withoutAuthorization} resource requests arrived without credentials`)

  console.log('DPoP-protected GETs (interleaved rounds, paired with the hand baseline)')
  const dpop = await dpopBench(server, REQUESTS, ROUNDS, MAX_RUN_MS)

  console.log('OAuth 1 signing')
  const signing = signingBench(SIGNATURES, ROUNDS)
  console.log('refresh stampede')
  // Twice: against the bare loopback endpoint, and against one that answers after an identity
  // provider's typical latency (bench/README.md "Refresh stampede" says why both).
  const stampedeLoopback = await stampedeBench(server, STAMPEDE, ROUNDS, 0)
  const stampede = await stampedeBench(server, STAMPEDE, ROUNDS, TOKEN_LATENCY)
  server.kill()

  console.log(`soak (${SOAK} requests, token lifetime 10 s)`)
  // A server of its own, so that no other client's idle sockets are counted.
  const soakServer = await startServerProcess()
  const soak = await soakBench(soakServer, SOAK)
  soakServer.kill()

  console.log(`fleet: a RedisTokenStore on the hot path, then ${FLEET_RENEWALS} renewals across 8 processes`)
  // Loaded here, after the throughput table: the fleet's Redis clients and worker code stay out of
  // the heap the clients above are measured in.
  const { fleetBench, fleetRows } = await import('./fleet.js')
  const fleet = await fleetBench({
    requests: REQUESTS,
    rounds: ROUNDS,
    renewals: FLEET_RENEWALS,
    maxRunMs: MAX_RUN_MS,
  })

  const row = (name: string) => clients.find(client => client.name === name)!
  const ours2 = row('OAuth2Client.get (bearer)')
  const ours1 = row('OAuth1Client.get (HMAC-SHA1, header)')
  const peers = clients.filter(client => client.kind === 'peer')
  const oursDpop = dpop.find(row => row.kind === 'ours')!
  const peerDpop = dpop.find(row => row.kind === 'peer')!
  const acceptance = [
    check(
      'OAuth2Client bearer GET >= 0.95x raw undici at c=64, >= 0.90x at c=1',
      ours2.c64.ratio >= 0.95 && ours2.c1.ratio >= 0.9,
      `c=64 ${ours2.c64.ratio}x, c=1 ${ours2.c1.ratio}x`,
    ),
    check(
      'OAuth2Client DPoP GET >= 0.90x the hand baseline (raw undici + node:crypto ES256 proof) at c=1 and c=64',
      oursDpop.c1.ratio >= 0.9 && oursDpop.c64.ratio >= 0.9,
      `c=1 ${oursDpop.c1.ratio}x, c=64 ${oursDpop.c64.ratio}x`,
    ),
    check(
      'OAuth2Client DPoP GET ahead of openid-client fetchProtectedResource with DPoP at c=1 and c=64',
      oursDpop.c1.rps > peerDpop.c1.rps && oursDpop.c64.rps > peerDpop.c64.rps,
      `${oursDpop.c1.rps}/${oursDpop.c64.rps} vs ${peerDpop.c1.rps}/${peerDpop.c64.rps} req/s (c=1/c=64)`,
    ),
    check(
      'OAuth1Client HMAC-SHA1 GET >= 0.65x raw undici at c=64',
      ours1.c64.ratio >= 0.65,
      `c=64 ${ours1.c64.ratio}x (c=1 ${ours1.c1.ratio}x)`,
    ),
    check(
      'OAuth 1 signing >= 2.5x oauth-1.0a',
      signing.ratio >= 2.5,
      `${signing.ratio}x (${signing.ours} vs ${signing.oauth10a} signatures/s)`,
    ),
    check(
      'OAuth2Client.get (bearer) ahead of every peer at c=1 and c=64',
      peers.every(peer => ours2.c1.rps > peer.c1.rps && ours2.c64.rps > peer.c64.rps),
      `${ours2.c1.rps}/${ours2.c64.rps} req/s; fastest peer ` +
        `${Math.max(...peers.map(r => r.c1.rps))}/${Math.max(...peers.map(r => r.c64.rps))} req/s (c=1/c=64)`,
    ),
    check(
      `stampede: exactly 1 token call for ${STAMPEDE} concurrent requests on an expired token`,
      [...stampedeLoopback.tokenCalls, ...stampede.tokenCalls].every(calls => calls === 1),
      `token calls per round: ${stampedeLoopback.tokenCalls.join(', ')} (loopback), ` +
        `${stampede.tokenCalls.join(', ')} (${TOKEN_LATENCY} ms token endpoint)`,
    ),
    check(
      `stampede: p99 added latency <= 2x one token round trip (the one in the stampede run), token endpoint answering in ${TOKEN_LATENCY} ms`,
      stampede.p99PerInSituTrip <= 2,
      `p99 ${stampede.addedP99Ms} ms = ${stampede.p99PerInSituTrip}x the in-situ round trip ` +
        `(${stampede.inSituTripMs} ms); bare loopback: p99 ${stampedeLoopback.addedP99Ms} ms = ` +
        `${stampedeLoopback.p99PerInSituTrip}x its ${stampedeLoopback.inSituTripMs} ms round trip`,
    ),
    check(
      `soak: RSS growth < 10 MB between request 100,000 and ${SOAK}`,
      soak.rssGrowthMB !== undefined && soak.rssGrowthMB < 10,
      soak.rssGrowthMB === undefined ? 'soak shorter than 100,000 requests' : `${soak.rssGrowthMB} MB`,
    ),
    check(
      'soak: open sockets never above `connections` (64)',
      soak.maxServerSockets <= 64 && soak.maxClientSockets <= 64,
      `max ${soak.maxServerSockets} (server side), ${soak.maxClientSockets} (client side)`,
    ),
    check(
      'fleet: OAuth2Client.get with a RedisTokenStore and a fresh token >= 0.95x raw undici at c=64, 0 Redis commands',
      fleet.hotPath.ratio >= 0.95 && fleet.hotPath.redisCommands === 0,
      `${fleet.hotPath.ratio}x, ${fleet.hotPath.redisCommands} Redis commands over ${fleet.hotPath.requests} requests`,
    ),
    check(
      'fleet: Redis commands sent per renewal per process <= 4 (mean over processes)',
      fleet.renewals.commandsPerRenewalPerProcess.mean <= 4,
      `mean ${fleet.renewals.commandsPerRenewalPerProcess.mean}, the holder ${fleet.renewals.commandsPerRenewalPerProcess.holder}, worst process ${fleet.renewals.commandsPerRenewalPerProcess.worstProcess}`,
    ),
    check(
      'fleet: fenced save to the last of 7 waiting processes using the new token, p99 <= 50 ms',
      fleet.renewals.saveToLastWaiterMs.p99 <= 50,
      `p50 ${fleet.renewals.saveToLastWaiterMs.p50} ms, p99 ${fleet.renewals.saveToLastWaiterMs.p99} ms`,
    ),
  ]

  console.log()
  console.log(
    table(
      ['client', 'c=1 req/s', 'c=64 req/s', 'ratio to raw undici (c1 / c64)', 'client CPU µs/req (c1 / c64)'],
      clients.map(c => [
        c.name,
        c.c1.rps.toLocaleString('en'),
        c.c64.rps.toLocaleString('en'),
        `${c.c1.ratio.toFixed(2)} / ${c.c64.ratio.toFixed(2)}`,
        `${c.c1.cpuUs} / ${c.c64.cpuUs}`,
      ]),
    ),
  )
  console.log()
  console.log(dpopTable(dpop))
  console.log()
  console.log(
    table(
      ['OAuth 1 HMAC-SHA1 signing (GET, 3 query params, token, header)', 'signatures/s'],
      [
        ['OAuth1Client (authorize step)', signing.ours.toLocaleString('en')],
        ['oauth-1.0a + node:crypto HMAC', signing.oauth10a.toLocaleString('en')],
        ['ratio', `${signing.ratio}x`],
      ],
    ),
  )
  console.log()
  console.log(
    table(
      [
        `refresh stampede (${STAMPEDE} concurrent GETs, expired token), median of rounds`,
        'loopback token endpoint',
        `token endpoint answering in ${TOKEN_LATENCY} ms`,
      ],
      stampedeRows(stampedeLoopback, stampede),
    ),
  )
  console.log()
  console.log(
    table(
      [`soak (${SOAK} GETs at c=64, token lifetime 10 s)`, 'value'],
      [
        ['duration', `${soak.seconds} s (${soak.rps.toLocaleString('en')} req/s)`],
        ['token renewals', String(soak.tokenCalls)],
        [
          'RSS at request 100,000 / at the end / growth',
          `${soak.rssAt100kMB ?? '-'} / ${soak.rssEndMB} / ${soak.rssGrowthMB ?? '-'} MB`,
        ],
        ['peak RSS', `${soak.peakRssMB} MB`],
        ['max open sockets (server / client side)', `${soak.maxServerSockets} / ${soak.maxClientSockets}`],
      ],
    ),
  )
  console.log()
  console.log(table(['fleet (RedisTokenStore, redis-server on loopback)', 'value'], fleetRows(fleet)))
  console.log()
  for (const item of acceptance) console.log(`${item.holds ? 'PASS' : 'FAIL'}  ${item.name}: ${item.detail}`)

  const results = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpus: availableParallelism(),
    // 1-, 5- and 15-minute load averages: other work on this machine shifts every figure.
    loadAverage: { start: loadAtStart, end: loadavg().map(round) },
    options: {
      requests: REQUESTS,
      rounds: ROUNDS,
      signatures: SIGNATURES,
      stampede: STAMPEDE,
      tokenLatencyMs: TOKEN_LATENCY,
      soak: SOAK,
      maxRunMs: MAX_RUN_MS,
      fleetRenewals: FLEET_RENEWALS,
    },
    seconds: Math.round((Date.now() - started) / 1000),
    clients,
    dpop,
    signing,
    stampedeLoopback,
    stampede,
    soak,
    fleet,
    acceptance,
  }
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote ${args.out} in ${results.seconds} s`)
}

main().then(
  // Peers without a pool of their own leave keep-alive sockets in Node's global dispatcher.
  () => process.exit(0),
  err => {
    console.error(err)
    process.exit(1)
  },
)
