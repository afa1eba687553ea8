/**
 * The parent side of a fleet: forks one test/fleet/worker.ts per WorkerConfig (tsx, IPC), waits
 * until each has built its client, and drives them. Every wait is bounded; `stop()` kills every
 * worker still alive (SIGKILL also ends a SIGSTOPped one) and is safe to call twice.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Command, Outcome, WorkerConfig, WorkerEvent } from './protocol.js'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))
/**
 * Each worker starts tsx, the library and a Redis driver: 5-8 s of CPU when the 2-core machine is
 * loaded, so 8 of them can take a minute.
 */
const READY_TIMEOUT_MS = 150_000

/** A worker event, or its process's exit, stamped with the worker. */
export type FleetEvent = (WorkerEvent | { type: 'exited'; code: number | null; signal: string | null }) & {
  worker: number
}

export interface FleetWorker {
  readonly index: number
  readonly pid: number
  readonly child: ChildProcess
  /** The key its client uses in the store. */
  readonly storeKey: string | undefined
  send(command: Command): void
  /** Runs one burst or loop and resolves with its outcomes (rejects after `timeoutMs`). */
  run(
    command: { type: 'burst'; requests: number } | { type: 'loop'; concurrency: number; durationMs: number },
    timeoutMs?: number,
  ): Promise<Outcome[]>
  /** Whether the process has exited. */
  readonly dead: boolean
}

export interface Fleet {
  readonly workers: FleetWorker[]
  /** Every event from every worker, in arrival order. */
  readonly events: FleetEvent[]
  /** Resolves with the first event (from now on) that `match` accepts; rejects after `timeoutMs`. */
  next(match: (event: FleetEvent) => boolean, timeoutMs?: number): Promise<FleetEvent>
  /** Every worker alive runs a burst of `requests` concurrent GETs at once. */
  burst(requests: number, timeoutMs?: number): Promise<Outcome[][]>
  /** Resolves once every worker's Redis connection is ready (false for any that was not within 20 s). */
  connected(): Promise<boolean[]>
  /** Closes the clients of the workers alive, then kills whatever remains. */
  stop(): Promise<void>
}

let nextId = 1

/**
 * A worker loads lib/ the way its parent does (tap's TypeScript loader in the tests, tsx in the
 * demo and the bench): c8 merges every process's coverage of a file by its URL, so another
 * transform of the same file (tsx's, under tap) would make its counts garbage.
 */
const WORKER_EXEC_ARGV = process.execArgv

function startWorker(config: WorkerConfig, events: FleetEvent[], notify: () => void): ChildProcess {
  const child = fork(WORKER, [], {
    execArgv: WORKER_EXEC_ARGV,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  child.on('message', (event: WorkerEvent) => {
    events.push({ ...event, worker: config.index })
    notify()
  })
  child.on('exit', (code, signal) => {
    events.push({ type: 'exited', code, signal, worker: config.index })
    notify()
  })
  child.send(config)
  return child
}

export async function startFleet(configs: WorkerConfig[]): Promise<Fleet> {
  const events: FleetEvent[] = []
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of [...listeners]) listener()
  }
  const children = configs.map(config => startWorker(config, events, notify))

  const next = (match: (event: FleetEvent) => boolean, timeoutMs = 30_000, from = events.length) =>
    new Promise<FleetEvent>((resolve, reject) => {
      let seen = from
      const check = () => {
        for (; seen < events.length; seen++) {
          const event = events[seen]!
          if (match(event)) {
            done()
            resolve(event)
            return
          }
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no matching worker event within ${timeoutMs} ms`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })

  const stop = async () => {
    const alive = children.filter(child => child.exitCode === null && child.signalCode === null)
    await Promise.all(
      alive.map(async child => {
        const exited = once(child, 'exit')
        if (child.connected) child.send({ type: 'close' } satisfies Command)
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }),
    )
  }

  try {
    const ready = await Promise.all(
      configs.map(config =>
        next(
          event => event.worker === config.index && ['ready', 'fault', 'exited'].includes(event.type),
          READY_TIMEOUT_MS,
          0,
        ),
      ),
    )
    const failed = ready.find(event => event.type !== 'ready')
    if (failed !== undefined) {
      const why = failed.type === 'fault' ? failed.message : `exited (${JSON.stringify(failed)})`
      throw new Error(`worker ${failed.worker} failed to start: ${why}`)
    }

    const workers = configs.map((config, i): FleetWorker => {
      const child = children[i]!
      const event = ready[i] as Extract<FleetEvent, { type: 'ready' }>
      return {
        index: config.index,
        pid: event.pid,
        child,
        storeKey: event.storeKey,
        send: command => child.send(command),
        get dead() {
          return child.exitCode !== null || child.signalCode !== null
        },
        async run(command, timeoutMs = 60_000) {
          const id = nextId++
          const answer = next(
            e => e.worker === config.index && e.type === 'outcomes' && e.id === id,
            timeoutMs,
          )
          child.send({ ...command, id })
          const event = (await answer) as Extract<FleetEvent, { type: 'outcomes' }>
          return event.outcomes
        },
      }
    })
    return {
      workers,
      events,
      next,
      burst: (requests, timeoutMs) =>
        Promise.all(workers.filter(w => !w.dead).map(w => w.run({ type: 'burst', requests }, timeoutMs))),
      connected: () =>
        Promise.all(
          workers.map(async worker => {
            const id = nextId++
            const answer = next(
              e => e.worker === worker.index && e.type === 'connected' && e.id === id,
              30_000,
            )
            worker.send({ type: 'connected', id })
            const event = (await answer) as Extract<FleetEvent, { type: 'connected' }>
            return event.ready
          }),
        ),
      stop,
    }
  } catch (error) {
    for (const child of children) child.kill('SIGKILL')
    throw error
  }
}

/** `count` worker configs over `common`, half of them on ioredis and half on node-redis. */
export function fleetConfigs(count: number, common: Omit<WorkerConfig, 'index' | 'driver'>): WorkerConfig[] {
  return Array.from({ length: count }, (_, index) => ({
    ...common,
    index,
    driver: index % 2 === 0 ? 'ioredis' : 'node-redis',
  }))
}

/** The `update` events (updateToken calls) among `events`. */
export function updatesIn(events: FleetEvent[]): Extract<FleetEvent, { type: 'update' }>[] {
  return events.filter((event): event is Extract<FleetEvent, { type: 'update' }> => event.type === 'update')
}

/** Waits until every token the fleet holds has expired, plus `marginMs`: every worker's next request renews. */
export async function pastExpiry(fleet: Fleet, marginMs = 250): Promise<void> {
  const latest = Math.max(...updatesIn(fleet.events).map(event => event.expiresAt * 1000))
  const wait = latest + marginMs - Date.now()
  if (!(wait < 60_000)) throw new Error(`the fleet's tokens expire in ${wait} ms`)
  if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
}

/** The store calls and token updates among `events`, one line each, ms after `since`: for failure reports. */
export function timeline(events: FleetEvent[], since: number): string {
  const lines: string[] = []
  for (const event of events) {
    if (event.type === 'store') {
      const result = event.failed ?? (event.result === undefined ? '' : String(event.result).slice(0, 8))
      lines.push(
        `${Math.round(event.startedAt - since)}..${Math.round(event.at - since)} ms  worker ${event.worker} ${event.method} ${result}`,
      )
    } else if (event.type === 'update') {
      lines.push(`${Math.round(event.at - since)} ms  worker ${event.worker} updateToken (${event.source})`)
    } else if (event.type === 'fault' || event.type === 'exited') {
      lines.push(`worker ${event.worker} ${JSON.stringify(event)}`)
    }
  }
  return lines.join('\n')
}
