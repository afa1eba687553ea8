/**
 * Scripted stand-ins for the providers of the recipes in scripts/examples/ that the embedded
 * oidc-provider cannot play: loopback servers that check what the real provider checks (as its
 * documentation, cited in each recipe, says) and answer in its shape. No tap dependency here.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'
import { type LoopbackServer, startServer } from '../fixtures/http-server.js'

export interface StandIn extends LoopbackServer {
  /** Every token-endpoint request body, in order. */
  readonly tokenRequests: URLSearchParams[]
  /** The `accept` header of every request, in order. */
  readonly accepts: (string | undefined)[]
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}

/** A resource route: 200 with `body` for a Bearer token this stand-in issued, else 401. */
function resource(req: IncomingMessage, res: ServerResponse, issued: Set<string>, body: unknown): void {
  const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
  if (token === undefined || !issued.has(token)) {
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"')
    json(res, 401, { error: 'invalid_token' })
  } else {
    json(res, 200, body)
  }
}

async function standIn(
  route: (req: IncomingMessage, res: ServerResponse, body: URLSearchParams, self: StandIn) => unknown,
): Promise<StandIn> {
  const tokenRequests: URLSearchParams[] = []
  const accepts: (string | undefined)[] = []
  let self: StandIn | undefined
  const server = await startServer((req, res, raw) => {
    accepts.push(req.headers.accept)
    return route(req, res, new URLSearchParams(raw.toString('utf8')), self!)
  })
  self = Object.assign(server, { tokenRequests, accepts })
  return self
}

/** The certificate's DER bytes, read from the PEM armour (not through node:crypto, as the recipe does). */
function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64')
}

/**
 * Microsoft Entra ID's v2.0 token endpoint (`/{tenant}/oauth2/v2.0/token`) for client credentials
 * with a certificate: the assertion must verify with the certificate's key (PS256 or RS256), have
 * `aud` the token endpoint, `iss` = `sub` = the client id, and an `x5t#S256` header that is the
 * certificate's SHA-256 thumbprint; the scope must be `{resource}/.default`. A token works at
 * `/v1.0/organization`.
 */
export async function startEntraStandIn(config: { clientId: string; certificate: string }): Promise<StandIn> {
  const issued = new Set<string>()
  const publicKey = await importX509(config.certificate, 'PS256')
  const rsaPublicKey = await importX509(config.certificate, 'RS256')
  const expectedX5t = createHash('sha256').update(derOf(config.certificate)).digest('base64url')
  return standIn(async (req, res, body, self) => {
    const path = new URL(req.url ?? '/', self.url).pathname
    if (path === '/v1.0/organization') return resource(req, res, issued, { value: [{ id: 'tenant-1' }] })
    if (path !== '/tenant-1/oauth2/v2.0/token') return json(res, 404, {})
    self.tokenRequests.push(body)
    const fail = (status: number, error: string, description: string) =>
      json(res, status, { error, error_description: description })
    if (body.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 'grant')
    if (!body.get('scope')?.endsWith('/.default')) {
      return fail(400, 'invalid_scope', 'scope must be {resource}/.default for client credentials')
    }
    const assertion = body.get('client_assertion')
    if (
      body.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      assertion === null
    ) {
      return fail(401, 'invalid_client', 'a client assertion is required')
    }
    const header = decodeProtectedHeader(assertion)
    if (header['x5t#S256'] !== expectedX5t) {
      return fail(401, 'invalid_client', 'no certificate with that x5t#S256 thumbprint')
    }
    try {
      await jwtVerify(assertion, header.alg === 'RS256' ? rsaPublicKey : publicKey, {
        algorithms: ['PS256', 'RS256'],
        audience: `${self.url}/tenant-1/oauth2/v2.0/token`,
        issuer: config.clientId,
        subject: config.clientId,
        requiredClaims: ['exp', 'jti'],
      })
    } catch (error) {
      return fail(401, 'invalid_client', `assertion rejected: ${(error as Error).message}`)
    }
    const accessToken = randomBytes(16).toString('base64url')
    issued.add(accessToken)
    json(res, 200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: accessToken,
    })
  })
}

/**
 * Auth0's `/oauth/token` for client credentials: client_secret_post credentials, and `audience`
 * naming a known API (without it: 403 access_denied, as Auth0 answers a tenant without a default
 * audience). Tokens live `expiresIn` seconds and work at `/orders`.
 */
export async function startAuth0StandIn(config: {
  clientId: string
  clientSecret: string
  audience: string
  expiresIn: number
}): Promise<StandIn> {
  const issued = new Set<string>()
  return standIn((req, res, body, self) => {
    const path = new URL(req.url ?? '/', self.url).pathname
    if (path === '/orders') return resource(req, res, issued, { orders: [] })
    if (path !== '/oauth/token') return json(res, 404, {})
    self.tokenRequests.push(body)
    if (body.get('client_id') !== config.clientId || body.get('client_secret') !== config.clientSecret) {
      return json(res, 401, { error: 'access_denied', error_description: 'Unauthorized' })
    }
    const audience = body.get('audience')
    if (audience === null) {
      return json(res, 403, {
        error: 'access_denied',
        error_description: 'No audience parameter was provided, and no default audience has been configured',
      })
    }
    if (audience !== config.audience) {
      return json(res, 403, { error: 'access_denied', error_description: `Service not found: ${audience}` })
    }
    const accessToken = randomBytes(16).toString('base64url')
    issued.add(accessToken)
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: config.expiresIn })
  })
}

export interface GitHubStandIn extends StandIn {
  /** Token-endpoint answers so far: their HTTP status and `error` (or 'token'). */
  readonly pollAnswers: { status: number; answer: string }[]
}

/**
 * GitHub's device flow for an OAuth app: `/login/device/code` and `/login/oauth/access_token`
 * answer form-encoded unless the request accepts application/json, and every poll gets 200, with
 * `error` in the body while pending (`pendingPolls` times) or after a denial. The only liberty:
 * `interval` is given in the config (GitHub's is 5 s) to keep the test short. `GET /user` needs the
 * token and a User-Agent.
 */
export async function startGitHubStandIn(config: {
  clientId: string
  interval: number
  pendingPolls: number
  deny?: boolean
}): Promise<GitHubStandIn> {
  const issued = new Set<string>()
  const deviceCode = randomBytes(20).toString('hex')
  const pollAnswers: { status: number; answer: string }[] = []
  const server = await standIn((req, res, body, self) => {
    const path = new URL(req.url ?? '/', self.url).pathname
    const wantsJson = req.headers.accept?.includes('application/json') === true
    const answer = (fields: Record<string, string | number>) => {
      res.statusCode = 200
      if (wantsJson) return json(res, 200, fields)
      res.setHeader('content-type', 'application/x-www-form-urlencoded; charset=utf-8')
      res.end(new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString())
    }
    if (path === '/user') {
      if (req.headers['user-agent'] === undefined) return json(res, 403, { message: 'User-Agent required' })
      return resource(req, res, issued, { login: 'octocat', id: 1 })
    }
    if (body.get('client_id') !== config.clientId) {
      return answer({ error: 'incorrect_client_credentials', error_description: 'unknown client' })
    }
    if (path === '/login/device/code') {
      return answer({
        device_code: deviceCode,
        user_code: 'WDJB-MJHT',
        verification_uri: `${self.url}/login/device`,
        expires_in: 900,
        interval: config.interval,
      })
    }
    if (path !== '/login/oauth/access_token') return json(res, 404, {})
    self.tokenRequests.push(body)
    if (body.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') {
      return answer({ error: 'unsupported_grant_type', error_description: 'grant_type' })
    }
    if (body.get('device_code') !== deviceCode) {
      return answer({ error: 'incorrect_device_code', error_description: 'device_code' })
    }
    const reply = (fields: Record<string, string | number>, label: string) => {
      pollAnswers.push({ status: 200, answer: label })
      answer(fields)
    }
    if (pollAnswers.length < config.pendingPolls) {
      return reply(
        { error: 'authorization_pending', error_description: 'The authorization request is still pending.' },
        'authorization_pending',
      )
    }
    if (config.deny === true) {
      return reply(
        { error: 'access_denied', error_description: 'The user has denied your application' },
        'access_denied',
      )
    }
    const accessToken = `gho_${randomBytes(18).toString('base64url')}`
    issued.add(accessToken)
    reply({ access_token: accessToken, token_type: 'bearer', scope: 'read:user' }, 'token')
  })
  return Object.assign(server, { pollAnswers })
}

/**
 * Salesforce's `/services/oauth2/token` for the JWT bearer grant: the assertion verifies with the
 * connected app's certificate (RS256), `iss` the consumer key, `sub` a known username, `aud`
 * https://login.salesforce.com, and `exp` no more than three minutes ahead. The answer has
 * `instance_url` (this server) and no `expires_in`; a token works under `/services/data/`.
 */
export async function startSalesforceStandIn(config: {
  consumerKey: string
  username: string
  certificate: string
}): Promise<StandIn> {
  const issued = new Set<string>()
  const publicKey = await importX509(config.certificate, 'RS256')
  return standIn(async (req, res, body, self) => {
    const path = new URL(req.url ?? '/', self.url).pathname
    if (path.startsWith('/services/data/'))
      return resource(req, res, issued, { DailyApiRequests: { Max: 15000 } })
    if (path !== '/services/oauth2/token') return json(res, 404, {})
    self.tokenRequests.push(body)
    const invalid = (description: string) =>
      json(res, 400, { error: 'invalid_grant', error_description: description })
    if (body.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return invalid('grant type')
    try {
      const { payload } = await jwtVerify(body.get('assertion') ?? '', publicKey, {
        algorithms: ['RS256'],
        issuer: config.consumerKey,
        subject: config.username,
        audience: 'https://login.salesforce.com',
        requiredClaims: ['exp'],
      })
      if (payload.exp! - Date.now() / 1000 > 180) return invalid('expiration time too far in the future')
    } catch (error) {
      return invalid(`invalid assertion: ${(error as Error).message}`)
    }
    const accessToken = `00D!${randomBytes(24).toString('base64url')}`
    issued.add(accessToken)
    json(res, 200, {
      access_token: accessToken,
      scope: 'api',
      instance_url: self.url,
      id: `${self.url}/id/00Dxx0000001gPL/005xx000001Svog`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    })
  })
}
