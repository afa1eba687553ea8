/**
 * The two Redis clients RedisTokenStore supports, connected to a test's redis-server. node-redis
 * gets an 'error' listener: without one it throws when the server goes away.
 */
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { RedisClientLike } from '../../lib/redis/index.js'

export type ClientKind = 'ioredis' | 'node-redis'
export const CLIENT_KINDS: ClientKind[] = ['ioredis', 'node-redis']

export interface ConnectedClient {
  client: RedisClientLike
  /** Resolves once the client is connected (again, after an outage); bounded. */
  ready(): Promise<void>
  /** A plain GET, as any Redis user would read the raw value. */
  rawGet(key: string): Promise<string | null>
  /** Any command, for a test to set up or inspect the server. */
  send(args: string[]): Promise<unknown>
  /** Calls of `name` the server has counted (INFO commandstats). */
  commandCalls(name: string): Promise<number>
  close(): Promise<void>
}

export async function connect(kind: ClientKind, url: string): Promise<ConnectedClient> {
  if (kind === 'ioredis') {
    const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {})
    const connected = {
      client,
      ready: () => until(() => client.status === 'ready'),
      rawGet: (key: string) => client.get(key),
      send: ([command, ...args]: string[]) => client.call(command!, args),
      commandCalls: async (name: string) => callsIn(await client.info('commandstats'), name),
      close: async () => {
        client.disconnect()
      },
    }
    await connected.ready()
    return connected
  }
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } })
  client.on('error', () => {})
  await client.connect()
  return {
    client,
    ready: () => until(() => client.isReady),
    rawGet: (key: string) => client.get(key),
    send: (args: string[]) => client.sendCommand(args),
    commandCalls: async (name: string) => callsIn(await client.info('commandstats'), name),
    close: async () => {
      client.destroy()
    },
  }
}

function callsIn(info: string, name: string): number {
  const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)
  return match === null ? 0 : Number(match[1])
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise(resolve => setTimeout(resolve, 25))
  if (!condition()) throw new Error('the Redis client did not connect within 5 s')
}
