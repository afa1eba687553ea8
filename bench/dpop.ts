/**
 * DPoP-protected GETs (RFC 9449 §7.1: `Authorization: DPoP` and a fresh ES256 proof with `ath`
 * per request) at c=1 and c=64: OAuth2Client.get with `dpop: true` against the hand baseline,
 * raw undici `Pool.request` plus a minimal ES256 proof signed with node:crypto per request (the
 * same work with nothing else), and openid-client 6's `fetchProtectedResource` with a DPoP handle.
 * Pairs of runs as in the throughput table (bench/README.md): each client's run sits next to a
 * baseline run, the baseline first in even rounds and second in odd ones; ratio = median over
 * rounds of the client's req/s over its paired baseline's.
 *
 *   npm run build && node --import tsx bench/dpop.ts [requests] [rounds]
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import * as oidc from 'openid-client'
import { Pool } from 'undici'
import type { ClientSpec, LiveClient, Target } from './clients.js'
import { type LoadResult, runLoad, type ServerProcess, startServerProcess } from './harness.js'
import { OAuth2Client } from './library.js'
import { median, round, table } from './stats.js'

const CONNECTIONS = 64
const CONCURRENCIES = [1, 64] as const
/** A DPoP-bound token as the server would issue it; the bench server does not check it. */
const ACCESS_TOKEN = 'bench-dpop-access-token-0123456789'

const HAND_BASELINE: ClientSpec = {
  name: 'raw undici Pool.request + node:crypto ES256 proof per request (the hand baseline)',
  kind: 'limit',
  async create(target) {
    const pool = new Pool(target.origin, { connections: CONNECTIONS })
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
    const head = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { crv, kty, x, y } })).toString('base64url')}.`
    const ath = createHash('sha256').update(ACCESS_TOKEN).digest('base64url')
    const authorization = `DPoP ${ACCESS_TOKEN}`
    const signingKey = { key: privateKey, dsaEncoding: 'ieee-p1363' } as const
    return {
      async send() {
        const claims = `{"jti":"${randomUUID()}","htm":"GET","htu":"${target.resource}","iat":${Math.floor(Date.now() / 1000)},"ath":"${ath}"}`
        const input = `${head}${Buffer.from(claims).toString('base64url')}`
        const dpop = `${input}.${sign('sha256', Buffer.from(input), signingKey).toString('base64url')}`
        const { body } = await pool.request({
          path: '/resource',
          method: 'GET',
          headers: { authorization, dpop },
        })
        await body.dump()
      },
      close: () => pool.close(),
    }
  },
}

export const DPOP_CLIENTS: readonly ClientSpec[] = [
  HAND_BASELINE,
  {
    name: 'OAuth2Client.get (dpop: true, ES256)',
    kind: 'ours',
    async create(target) {
      const client = new OAuth2Client({
        clientId: 'bench-client',
        clientSecret: 'bench-secret',
        tokenEndpoint: target.tokenEndpoint,
        grantType: 'client_credentials',
        dpop: true,
        token: { access_token: ACCESS_TOKEN, token_type: 'DPoP', expires_in: 3600 },
      })
      return {
        async send() {
          const { body } = await client.get(target.resource)
          await body.dump()
        },
        close: () => client.close(),
      }
    },
  },
  {
    name: 'openid-client 6 fetchProtectedResource (DPoP ES256, global fetch)',
    kind: 'peer',
    async create(target) {
      const config = new oidc.Configuration(
        { issuer: target.origin, token_endpoint: target.tokenEndpoint },
        'bench-client',
        'bench-secret',
      )
      oidc.allowInsecureRequests(config)
      const handle = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'))
      const url = new URL(target.resource)
      return {
        async send() {
          const response = await oidc.fetchProtectedResource(
            config,
            ACCESS_TOKEN,
            url,
            'GET',
            undefined,
            undefined,
            { DPoP: handle },
          )
          await response.arrayBuffer()
        },
        // It has no pool of its own: Node's global dispatcher holds the sockets until exit.
        async close() {},
      }
    },
  },
]

export interface DpopRow {
  name: string
  kind: ClientSpec['kind']
  c1: { rps: number; ratio: number; cpuUs: number }
  c64: { rps: number; ratio: number; cpuUs: number }
}

/** The DPoP table: every client paired with the hand baseline, `rounds` rounds. */
export async function dpopBench(
  server: ServerProcess,
  requests: number,
  rounds: number,
  maxRunMs: number,
): Promise<DpopRow[]> {
  const target: Target = {
    origin: server.origin,
    resource: `${server.origin}/resource`,
    tokenEndpoint: `${server.origin}/token?ttl=3600`,
    accessToken: ACCESS_TOKEN,
  }
  const live = new Map<ClientSpec, LiveClient>()
  for (const spec of DPOP_CLIENTS) live.set(spec, await spec.create(target))
  for (const client of live.values())
    for (const c of CONCURRENCIES) await runLoad(client.send, Math.ceil(requests / 4), c, maxRunMs)
  await server.reset()
  const cells = new Map<string, { rps: number[]; ratio: number[]; cpuUs: number[] }>()
  const key = (spec: ClientSpec, c: number) => `${spec.name}\0${c}`
  for (const spec of DPOP_CLIENTS)
    for (const c of CONCURRENCIES) cells.set(key(spec, c), { rps: [], ratio: [], cpuUs: [] })
  const record = (spec: ClientSpec, c: number, result: LoadResult, ratio: number) => {
    const cell = cells.get(key(spec, c))!
    cell.rps.push(result.rps)
    cell.cpuUs.push(result.cpuUs)
    cell.ratio.push(ratio)
  }
  let sent = 0
  for (let r = 0; r < rounds; r++) {
    for (const spec of DPOP_CLIENTS) {
      if (spec === HAND_BASELINE) continue
      for (const c of CONCURRENCIES) {
        const baselineFirst = r % 2 === 0
        const first = await runLoad(
          live.get(baselineFirst ? HAND_BASELINE : spec)!.send,
          requests,
          c,
          maxRunMs,
        )
        const second = await runLoad(
          live.get(baselineFirst ? spec : HAND_BASELINE)!.send,
          requests,
          c,
          maxRunMs,
        )
        const [baseline, result] = baselineFirst ? [first, second] : [second, first]
        sent += baseline.requests + result.requests
        record(HAND_BASELINE, c, baseline, 1)
        record(spec, c, result, result.rps / baseline.rps)
      }
    }
    process.stdout.write(`  dpop round ${r + 1}/${rounds} done\n`)
  }
  for (const client of live.values()) await client.close()
  const stats = await server.stats()
  if (stats.proofs !== sent) throw new Error(`${sent - stats.proofs} DPoP requests arrived without a proof`)
  return DPOP_CLIENTS.map(spec => {
    const at = (c: number) => {
      const cell = cells.get(key(spec, c))!
      return {
        rps: round(median(cell.rps)),
        ratio: round(median(cell.ratio)),
        cpuUs: round(median(cell.cpuUs)),
      }
    }
    return { name: spec.name, kind: spec.kind, c1: at(1), c64: at(64) }
  })
}

/** The rows as a Markdown table. */
export function dpopTable(rows: readonly DpopRow[]): string {
  return table(
    [
      'DPoP-protected GET (ES256 proof per request)',
      'c=1 req/s',
      'c=64 req/s',
      'ratio to the hand baseline (c1 / c64)',
      'client CPU µs/req (c1 / c64)',
    ],
    rows.map(row => [
      row.name,
      row.c1.rps.toLocaleString('en'),
      row.c64.rps.toLocaleString('en'),
      `${row.c1.ratio.toFixed(2)} / ${row.c64.ratio.toFixed(2)}`,
      `${row.c1.cpuUs} / ${row.c64.cpuUs}`,
    ]),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [requests = '5000', rounds = '5'] = process.argv.slice(2)
  const server = await startServerProcess()
  const rows = await dpopBench(server, Number(requests), Number(rounds), 60_000)
  server.kill()
  console.log(dpopTable(rows))
  process.exit(0)
}
