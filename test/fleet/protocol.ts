/**
 * The IPC messages between a fleet test (or scripts/fleet-demo.ts) and its worker processes
 * (test/fleet/worker.ts). Everything is plain JSON: options travel as data, the worker builds its
 * own client and its own Redis connection from them.
 */
import type { OAuth2Token } from '../../lib/index.js'

/** Options of an OAuth2Client, as JSON (the worker adds the store and updateToken). */
export interface OAuth2ClientSpec {
  kind: 'oauth2'
  options: {
    tokenEndpoint: string
    clientId: string
    clientSecret?: string
    grantType?: 'client_credentials' | 'refresh_token'
    scope?: string
    token?: OAuth2Token
    leeway?: number
    timeout?: number
    tokenRetries?: number
  }
}

/** Options of an AssertionClient (RFC 7523 §2.1), as JSON: `key` is a private JWK. */
export interface AssertionClientSpec {
  kind: 'assertion'
  options: {
    tokenEndpoint: string
    audience?: string
    issuer: string
    clientId?: string
    key: Record<string, unknown>
    header?: Record<string, string>
    scope?: string
    leeway?: number
    timeout?: number
    tokenRetries?: number
  }
}

export interface WorkerConfig {
  /** The worker's place in the fleet; it names its requests' paths. */
  index: number
  redisUrl: string
  driver: 'ioredis' | 'node-redis'
  /** RedisTokenStore's `prefix`. */
  prefix?: string
  /** 32 bytes, base64url: RedisTokenStore's `encryptionKey`. */
  encryptionKey?: string
  onStoreError?: 'local' | 'fail'
  storeKey?: string
  /** Origin of the protected resource. */
  resource: string
  client: OAuth2ClientSpec | AssertionClientSpec
  /**
   * The worker's store wrapper announces every fenced save (`saving`) and delegates it only once
   * the parent sends `proceed`: the parent can stop the holder (SIGSTOP) between its token call
   * and its save, the moment fencing exists for.
   */
  pauseBeforeSave?: boolean
}

/** What one GET ended with, as the worker saw it. */
export interface Outcome {
  /** Epoch ms when the request started. */
  startedAt: number
  ms: number
  status?: number
  error?: {
    name: string
    code?: string
    /** One of the library's typed errors: its `code` is in OAUTH_ERROR_CODES. */
    typed: boolean
    message: string
  }
}

export type Command =
  | { type: 'burst'; id: number; requests: number }
  /** `concurrency` loops, each sending GETs one after another until `durationMs` has passed. */
  | { type: 'loop'; id: number; concurrency: number; durationMs: number }
  | { type: 'proceed' }
  /** Answered once the worker's Redis connection is ready again (after an outage), or after 20 s. */
  | { type: 'connected'; id: number }
  | { type: 'close' }

export type WorkerEvent =
  | { type: 'ready'; pid: number; storeKey: string | undefined }
  | { type: 'outcomes'; id: number; outcomes: Outcome[] }
  /** A TokenStore method the client called, and what it returned. */
  | {
      type: 'store'
      method: string
      /** Epoch ms (sub-ms) when the method was called, and when it settled. */
      startedAt: number
      at: number
      /** lock: the owner id (undefined: someone else holds it); save: the boolean result. */
      result?: string | boolean
      /** lock's ttlMs argument. */
      ttlMs?: number
      /** save: the access token being saved. */
      accessToken?: string
      failed?: string
    }
  /** A save waits for `proceed` (pauseBeforeSave): the token it is about to save. */
  | { type: 'saving'; at: number; accessToken: string }
  /** updateToken was called. */
  | { type: 'update'; at: number; source: string | undefined; accessToken: string; expiresAt: number }
  /** Something went wrong in the worker outside a request (it then exits). */
  | { type: 'fault'; message: string }
  | { type: 'connected'; id: number; ready: boolean }
  /** A process warning (the library warns once per store outage). */
  | { type: 'warning'; code: string | undefined }
  | { type: 'closed' }
