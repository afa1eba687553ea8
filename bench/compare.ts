// Quick interleaved comparison of a few bench clients (for before/after numbers in commits):
//   node --import tsx bench/compare.ts [requests] [rounds] [name-prefix ...]
import { CLIENTS, type Target } from './clients.js'
import { type LoadResult, runLoad, startServerProcess } from './harness.js'
import { median, round } from './stats.js'

const [requests = '10000', rounds = '5', ...prefixes] = process.argv.slice(2)
const names = prefixes.length > 0 ? prefixes : ['raw', 'OAuth2Client.get', 'OAuth1Client.get']
const specs = names.map(prefix => {
  const spec = CLIENTS.find(client => client.name.startsWith(prefix))
  if (spec === undefined) throw new Error(`no bench client named ${prefix}…`)
  return spec
})
const server = await startServerProcess()
const target: Target = {
  origin: server.origin,
  resource: `${server.origin}/resource`,
  tokenEndpoint: `${server.origin}/token?ttl=3600`,
  accessToken: 'e30.eyJleHAiOjQxMDI0NDQ4MDB9.sig',
}
const live = await Promise.all(specs.map(spec => spec.create(target)))
for (const client of live)
  for (const c of [1, 64]) await runLoad(client.send, Number(requests) / 4, c, 60_000)
for (const c of [1, 64]) {
  const rps = live.map(() => [] as number[])
  const cpu = live.map(() => [] as number[])
  const ratio = live.map(() => [] as number[])
  for (let r = 0; r < Number(rounds); r++) {
    const results: LoadResult[] = []
    for (const client of live) results.push(await runLoad(client.send, Number(requests), c, 60_000))
    results.forEach((result, i) => {
      rps[i]!.push(result.rps)
      cpu[i]!.push(result.cpuUs)
      ratio[i]!.push(result.rps / results[0]!.rps)
    })
  }
  for (const [i, spec] of specs.entries()) {
    console.log(
      `c=${c} ${spec.name.slice(0, 40).padEnd(40)} ${Math.round(median(rps[i]!))} req/s  ratio ${round(median(ratio[i]!))}  ${round(median(cpu[i]!))} µs/req`,
    )
  }
}
for (const client of live) await client.close()
server.kill()
process.exit(0)
