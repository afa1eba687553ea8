// Profiles one client of the bench on its own: node --cpu-prof --import tsx bench/profile.ts <client-name-prefix> [requests] [concurrency]
import { CLIENTS, type Target } from './clients.js'
import { runLoad, startServerProcess } from './harness.js'

const [prefix = 'OAuth2Client.get', requests = '100000', concurrency = '64'] = process.argv.slice(2)
const spec = CLIENTS.find(client => client.name.startsWith(prefix))
if (spec === undefined) throw new Error(`no bench client named ${prefix}…`)
const server = await startServerProcess()
const target: Target = {
  origin: server.origin,
  resource: `${server.origin}/resource`,
  tokenEndpoint: `${server.origin}/token?ttl=3600`,
  accessToken: 'e30.eyJleHAiOjQxMDI0NDQ4MDB9.sig',
}
const client = await spec.create(target)
const result = await runLoad(client.send, Number(requests), Number(concurrency), 120_000)
console.log(spec.name, Math.round(result.rps), 'req/s', result.cpuUs.toFixed(1), 'µs/req')
await client.close()
server.kill()
