import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ServerCommand, ServerMessage, ServerStats } from './server.js'

/** The loopback server in a child process, with its IPC counters. */
export interface ServerProcess {
  origin: string
  stats(): Promise<ServerStats>
  reset(): Promise<ServerStats>
  kill(): void
}

const children = new Set<ChildProcess>()
// Whatever way the bench ends, no server is left behind.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export async function startServerProcess(): Promise<ServerProcess> {
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench server did not start within 20 s')), 20_000)
    child.once('error', reject)
    child.once('message', (message: ServerMessage) => {
      clearTimeout(timer)
      if (message.type === 'listening') resolve(message.port)
      else reject(new Error(`unexpected first message from the bench server: ${message.type}`))
    })
  })
  // One command at a time: each answer is the next 'stats' message.
  let queue: Promise<unknown> = Promise.resolve()
  const command = (type: ServerCommand['type']) => {
    const answer = queue.then(
      () =>
        new Promise<ServerStats>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('bench server did not answer within 5 s')), 5_000)
          child.once('message', (message: ServerMessage) => {
            clearTimeout(timer)
            if (message.type === 'stats') resolve(message.stats)
          })
          child.send({ type } satisfies ServerCommand)
        }),
    )
    queue = answer.catch(() => {})
    return answer
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    stats: () => command('stats'),
    reset: () => command('reset'),
    kill() {
      child.kill('SIGKILL')
    },
  }
}

export interface LoadResult {
  requests: number
  seconds: number
  rps: number
  /** Client process CPU (user + system) per request, in microseconds. */
  cpuUs: number
}

/**
 * Sends up to `total` requests with `concurrency` in flight, stopping early at `maxMs`, and
 * measures wall time and this process's CPU time.
 */
export async function runLoad(
  send: () => Promise<void>,
  total: number,
  concurrency: number,
  maxMs: number,
): Promise<LoadResult> {
  let issued = 0
  const started = performance.now()
  const deadline = started + maxMs
  const cpu = process.cpuUsage()
  const worker = async () => {
    while (issued < total && performance.now() < deadline) {
      issued++
      await send()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return {
    requests: issued,
    seconds,
    rps: issued / seconds,
    cpuUs: (used.user + used.system) / issued,
  }
}

/** Open TCP sockets of this process (client side), from Node's own resource list. */
export function openClientSockets(): number {
  let count = 0
  for (const resource of process.getActiveResourcesInfo()) if (resource === 'TCPSocketWrap') count++
  return count
}
