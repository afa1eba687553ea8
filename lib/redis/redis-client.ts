/**
 * The one small adapter over the two Redis clients people run: ioredis (`call`) and node-redis v4+
 * (`sendCommand`). Declared structurally: this package imports neither at runtime.
 */
import { optionError } from '../http/options.js'

/** What RedisTokenStore needs of an ioredis client. */
export interface IoredisLike {
  /** ioredis's connection state; commands are sent only when it is 'ready'. */
  status: string
  /** ioredis's generic command call. */
  call(command: string, args: (string | number)[]): Promise<unknown>
}

/** What RedisTokenStore needs of a node-redis client (`createClient()`, v4 and later). */
export interface NodeRedisLike {
  /** node-redis's connection state; commands are sent only when it is true. */
  readonly isReady: boolean
  /** node-redis's generic command call. */
  sendCommand(args: string[]): Promise<unknown>
}

/** Either client; give it an 'error' listener (node-redis throws on a socket error without one). */
export type RedisClientLike = IoredisLike | NodeRedisLike

/** Sends one command as a string array; rejects at once when the client is not connected. */
export type SendCommand = (args: string[]) => Promise<unknown>

/**
 * A client that is not connected would queue the command until it reconnects; a renewal must not
 * wait for that, so it fails at once and the session's `onStoreError` policy applies.
 */
function notReady(): Promise<never> {
  return Promise.reject(new Error('the Redis client is not connected'))
}

export function commandSender(client: unknown): SendCommand {
  const candidate = client as Partial<IoredisLike & NodeRedisLike> | null
  // ioredis first: it has a `sendCommand` too, an internal one that takes a Command object.
  if (typeof candidate?.call === 'function' && typeof candidate.status === 'string') {
    const ioredis = candidate as IoredisLike
    return ([command, ...args]) => (ioredis.status === 'ready' ? ioredis.call(command!, args) : notReady())
  }
  if (typeof candidate?.sendCommand === 'function') {
    const nodeRedis = candidate as NodeRedisLike
    return args => (nodeRedis.isReady ? nodeRedis.sendCommand(args) : notReady())
  }
  throw optionError('client', 'an ioredis or node-redis (v4+) client', client)
}
