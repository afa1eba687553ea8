/**
 * One process of a fleet (test/fleet/*.test.ts, scripts/fleet-demo.ts): started with
 * `child_process.fork`, it builds its own Redis connection (ioredis or node-redis, as the parent
 * chose), its own RedisTokenStore and its own OAuth2Client or AssertionClient from the WorkerConfig
 * of its first IPC message, then sends GETs to the resource server on command and reports what
 * each ended with. The store it gives the client is the user's object, so it wraps it: every
 * method is delegated unchanged and reported over IPC (who took the lock, which saves were
 * refused); with `pauseBeforeSave` a save waits for the parent's `proceed`.
 */
import { once } from 'node:events'
import { AssertionClient, OAUTH_ERROR_CODES, OAuth2Client, type TokenStore } from '../../lib/index.js'
import { RedisTokenStore } from '../../lib/redis/index.js'
import type { Command, Outcome, WorkerConfig, WorkerEvent } from './protocol.js'

const TYPED_CODES: ReadonlySet<string> = new Set(OAUTH_ERROR_CODES)

/** Bounds the wait for the parent's `proceed`: a test that forgets it must not leave a worker behind. */
const PROCEED_TIMEOUT_MS = 60_000
/** Bounds the wait for the Redis client to reconnect after an outage. */
const RECONNECT_TIMEOUT_MS = 20_000

function send(event: WorkerEvent): void {
  process.send?.(event)
}

function fault(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  // IPC is asynchronous: exit once the report has gone out.
  if (process.send === undefined) process.exit(1)
  process.send({ type: 'fault', message } satisfies WorkerEvent, () => process.exit(1))
}
process.on('uncaughtException', fault)
process.on('unhandledRejection', fault)
process.on('warning', warning => send({ type: 'warning', code: (warning as Error & { code?: string }).code }))
// The parent is gone (it ended or was killed): so is the fleet.
process.on('disconnect', () => process.exit(0))

let proceed: (() => void) | undefined

/** Epoch ms with sub-millisecond resolution: the bench compares these stamps across processes. */
const now = () => performance.timeOrigin + performance.now()

/** The user's store, delegated method by method, each call reported to the parent. */
function observed(store: TokenStore, pauseBeforeSave: boolean): TokenStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || typeof property !== 'string') return value
      return async (...args: unknown[]) => {
        const detail: Extract<WorkerEvent, { type: 'store' }> = {
          type: 'store',
          method: property,
          startedAt: now(),
          at: 0,
        }
        if (property === 'lock') detail.ttlMs = args[1] as number
        if (property === 'save') {
          detail.accessToken = (args[1] as { access_token: string }).access_token
          if (pauseBeforeSave) {
            send({ type: 'saving', at: now(), accessToken: detail.accessToken! })
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error('no proceed from the parent')),
                PROCEED_TIMEOUT_MS,
              )
              proceed = () => {
                clearTimeout(timer)
                resolve()
              }
            })
          }
        }
        try {
          const result = await (value as (...a: unknown[]) => unknown).apply(target, args)
          if (property === 'lock' || property === 'save') detail.result = result as string | boolean
          detail.at = now()
          send(detail)
          return result
        } catch (error) {
          detail.at = now()
          detail.failed = error instanceof Error ? error.name : String(error)
          send(detail)
          throw error
        }
      }
    },
  })
}

/** The Redis client the user already has, of the kind the parent chose, and how to close it. */
async function connectRedis(config: WorkerConfig) {
  // Only the driver in use is loaded: each takes seconds to import on a loaded machine.
  if (config.driver === 'ioredis') {
    const { Redis } = await import('ioredis')
    const redis = new Redis(config.redisUrl)
    // An outage test kills redis-server: the client reports it by events, which must be listened to.
    redis.on('error', () => {})
    // RedisTokenStore treats a client that is not ready as unavailable (no offline queue for a
    // renewal): a worker reports ready once its connection is.
    if (redis.status !== 'ready') await once(redis, 'ready')
    return { client: redis, ready: () => redis.status === 'ready', close: () => redis.disconnect() }
  }
  const { createClient } = await import('redis')
  const redis = createClient({ url: config.redisUrl })
  redis.on('error', () => {})
  await redis.connect()
  return {
    client: redis,
    ready: () => redis.isReady,
    close: async () => {
      if (redis.isOpen) redis.destroy()
    },
  }
}

async function setUp(config: WorkerConfig) {
  const redis = await connectRedis(config)
  const store = new RedisTokenStore(redis.client, {
    prefix: config.prefix,
    encryptionKey:
      config.encryptionKey === undefined ? undefined : Buffer.from(config.encryptionKey, 'base64url'),
  })
  const shared = {
    tokenStore: observed(store, config.pauseBeforeSave === true),
    storeKey: config.storeKey,
    onStoreError: config.onStoreError,
    updateToken: (token: { access_token: string; expires_at?: number }, context: { source?: string }) => {
      send({
        type: 'update',
        at: now(),
        source: context.source,
        accessToken: token.access_token,
        expiresAt: Number(token.expires_at),
      })
    },
  }
  const client =
    config.client.kind === 'oauth2'
      ? new OAuth2Client({ ...config.client.options, ...shared })
      : new AssertionClient({ ...config.client.options, ...shared })
  return { client, redis }
}

async function get(client: OAuth2Client | AssertionClient, url: string): Promise<Outcome> {
  const startedAt = Date.now()
  const started = performance.now()
  try {
    const { statusCode, body } = await client.get(url)
    await body.dump()
    return { startedAt, ms: performance.now() - started, status: statusCode }
  } catch (error) {
    const err = error as Error & { code?: string }
    return {
      startedAt,
      ms: performance.now() - started,
      error: {
        name: err.name,
        code: err.code,
        typed: err.code !== undefined && TYPED_CODES.has(err.code),
        message: err.message,
      },
    }
  }
}

async function loop(
  client: OAuth2Client | AssertionClient,
  url: string,
  concurrency: number,
  durationMs: number,
) {
  const outcomes: Outcome[] = []
  const until = Date.now() + durationMs
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) outcomes.push(await get(client, url))
    }),
  )
  return outcomes
}

process.once('message', async (config: WorkerConfig) => {
  const { client, redis } = await setUp(config)
  const url = `${config.resource}/worker/${config.index}`
  process.on('message', async (command: Command) => {
    if (command.type === 'proceed') {
      proceed?.()
      proceed = undefined
    } else if (command.type === 'burst') {
      const outcomes = await Promise.all(Array.from({ length: command.requests }, () => get(client, url)))
      send({ type: 'outcomes', id: command.id, outcomes })
    } else if (command.type === 'loop') {
      send({
        type: 'outcomes',
        id: command.id,
        outcomes: await loop(client, url, command.concurrency, command.durationMs),
      })
    } else if (command.type === 'connected') {
      const until = Date.now() + RECONNECT_TIMEOUT_MS
      while (!redis.ready() && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 50))
      send({ type: 'connected', id: command.id, ready: redis.ready() })
    } else if (command.type === 'close') {
      await client.close()
      await redis.close()
      send({ type: 'closed' })
      process.disconnect()
    }
  })
  send({ type: 'ready', pid: process.pid, storeKey: client.storeKey })
})
