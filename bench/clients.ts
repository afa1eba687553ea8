// The clients the bench compares. Each sends one authenticated GET of the resource and reads the
// whole body, on a pool of at most 64 sockets (the Session default), and owns what it opens.
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { Agent as HttpAgent } from 'node:http'
import got from 'got'
import OAuth from 'oauth-1.0a'
import * as oidc from 'openid-client'
import { Agent, Pool, fetch as undiciFetch } from 'undici'
import { createOidcInterceptor } from 'undici-oidc-interceptor'
import { AssertionClient, OAuth1Client, OAuth2Client } from './library.js'

export interface Target {
  origin: string
  /** origin + '/resource' */
  resource: string
  /** The token endpoint with a one-hour token lifetime. */
  tokenEndpoint: string
  /** A fresh one-hour access token from that endpoint. */
  accessToken: string
}

export interface LiveClient {
  send(): Promise<void>
  close(): Promise<void>
}

export interface ClientSpec {
  name: string
  /** Peers and references are compared with; ours must beat every peer. */
  kind: 'limit' | 'ours' | 'reference' | 'peer'
  create(target: Target): Promise<LiveClient>
}

const CONNECTIONS = 64
export const OAUTH1 = {
  consumer: { key: 'bench-consumer', secret: 'bench-consumer-secret' },
  token: { key: 'bench-token', secret: 'bench-token-secret' },
}

export function hmacSha1(base: string, key: string): string {
  return createHmac('sha1', key).update(base).digest('base64')
}

function bearerClient(target: Target): OAuth2Client {
  return new OAuth2Client({
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    tokenEndpoint: target.tokenEndpoint,
    grantType: 'client_credentials',
    token: { access_token: target.accessToken, token_type: 'Bearer', expires_in: 3600 },
  })
}

export const CLIENTS: readonly ClientSpec[] = [
  {
    name: 'raw undici 7 Pool.request + static bearer header (the limit)',
    kind: 'limit',
    async create(target) {
      const pool = new Pool(target.origin, { connections: CONNECTIONS })
      const headers = { authorization: `Bearer ${target.accessToken}` }
      return {
        async send() {
          const { body } = await pool.request({ path: '/resource', method: 'GET', headers })
          await body.dump()
        },
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'OAuth2Client.get (bearer)',
    kind: 'ours',
    async create(target) {
      const client = bearerClient(target)
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
    name: 'OAuth1Client.get (HMAC-SHA1, header)',
    kind: 'ours',
    async create(target) {
      const client = new OAuth1Client({
        clientId: OAUTH1.consumer.key,
        clientSecret: OAUTH1.consumer.secret,
        token: OAUTH1.token.key,
        tokenSecret: OAUTH1.token.secret,
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
    name: 'AssertionClient.get (RS256 jwt-bearer, token obtained on first use)',
    kind: 'ours',
    async create(target) {
      const client = new AssertionClient({
        tokenEndpoint: target.tokenEndpoint,
        issuer: 'bench-service-account@example.com',
        subject: 'bench-service-account@example.com',
        key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
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
    name: 'OAuth2Client.fetch (bearer, undici fetch on the session pool)',
    kind: 'ours',
    async create(target) {
      const client = bearerClient(target)
      return {
        async send() {
          const response = await client.fetch(target.resource)
          await response.arrayBuffer()
        },
        close: () => client.close(),
      }
    },
  },
  {
    name: 'undici 7 fetch + static bearer header',
    kind: 'reference',
    async create(target) {
      const dispatcher = new Agent({ connections: CONNECTIONS })
      const headers = { authorization: `Bearer ${target.accessToken}` }
      return {
        async send() {
          const response = await undiciFetch(target.resource, { headers, dispatcher })
          await response.arrayBuffer()
        },
        close: () => dispatcher.close(),
      }
    },
  },
  {
    name: 'oauth-1.0a HMAC-SHA1 per request + undici Pool',
    kind: 'reference',
    async create(target) {
      const pool = new Pool(target.origin, { connections: CONNECTIONS })
      const oauth = new OAuth({
        consumer: OAUTH1.consumer,
        signature_method: 'HMAC-SHA1',
        hash_function: hmacSha1,
      })
      return {
        async send() {
          const signed = oauth.authorize({ url: target.resource, method: 'GET' }, OAUTH1.token)
          const headers = { authorization: oauth.toHeader(signed).Authorization }
          const { body } = await pool.request({ path: '/resource', method: 'GET', headers })
          await body.dump()
        },
        close: () => pool.close(),
      }
    },
  },
  {
    name: 'got 14 + bearer header (keep-alive agent)',
    kind: 'peer',
    async create(target) {
      const agent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS })
      const client = got.extend({
        agent: { http: agent },
        headers: { authorization: `Bearer ${target.accessToken}` },
        retry: { limit: 0 },
      })
      return {
        async send() {
          await client.get(target.resource)
        },
        async close() {
          agent.destroy()
        },
      }
    },
  },
  {
    name: 'openid-client 6 fetchProtectedResource (global fetch)',
    kind: 'peer',
    async create(target) {
      const config = new oidc.Configuration(
        { issuer: target.origin, token_endpoint: target.tokenEndpoint },
        'bench-client',
        'bench-secret',
      )
      oidc.allowInsecureRequests(config)
      const url = new URL(target.resource)
      return {
        async send() {
          const response = await oidc.fetchProtectedResource(config, target.accessToken, url, 'GET')
          await response.arrayBuffer()
        },
        // It has no pool of its own: Node's global dispatcher holds the sockets until exit.
        async close() {},
      }
    },
  },
  {
    name: 'undici-oidc-interceptor 0.6 (client_credentials) on an undici Agent',
    kind: 'peer',
    async create(target) {
      const dispatcher = new Agent({ connections: CONNECTIONS }).compose(
        createOidcInterceptor({
          idpTokenUrl: target.tokenEndpoint,
          clientId: 'bench-client',
          clientSecret: 'bench-secret',
          urls: [target.origin],
          accessToken: target.accessToken,
        }),
      )
      return {
        async send() {
          const { body } = await dispatcher.request({
            origin: target.origin,
            path: '/resource',
            method: 'GET',
          })
          await body.dump()
        },
        close: () => dispatcher.close(),
      }
    },
  },
]
