/**
 * The TypeScript snippets of the README (its tour), of the guides in docs/ and of the TSDoc
 * examples in lib/, as written there, each in its own block; what a snippet takes from its
 * surroundings is declared first. They must compile under strict + exactOptionalPropertyTypes.
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { request } from 'undici'
import {
  AssertionClient,
  ClientSecretJWT,
  MemoryTokenStore,
  OAuth1Client,
  OAuth2Client,
  type OAuth2Token,
  PrivateKeyJWT,
  Session,
} from 'undici-oauth'
import { RedisTokenStore } from 'undici-oauth/redis'

declare const callbackUrl: string
declare const clientId: string
declare const clientSecret: string
declare const tokenEndpoint: string
declare const userId: string
declare const encryptionKey: Uint8Array
declare const keyFile: string
declare const url: string
declare const accessToken: string
declare const passphrase: string
declare const savedRefreshToken: string
declare const t: string
declare const token: string
declare const tokenSecret: string
declare const type: string
declare const redirectUri: string
declare const issuer: string
declare const privateKeyPem: string
declare const initialAccessToken: string
declare const store: {
  load(id: string): Promise<OAuth2Token>
  save(id: string, token: OAuth2Token): Promise<void>
}

// README: a tour
{
  // OAuth 2.0 client credentials: the first request obtains a token, renewals follow by themselves.
  await using client = new OAuth2Client({
    clientId: 'your-client-id',
    clientSecret: 'your-client-secret',
    tokenEndpoint: 'https://as.example.com/oauth/token',
    grantType: 'client_credentials',
  })
  const { statusCode, body } = await client.get('https://api.example.com/v1/me')
  console.log(statusCode, await body.json())
  const response = await client.fetch('https://api.example.com/v1/items') // undici's fetch, same pool and token
  console.log(await response.json())

  // OAuth 1.0a: every request signed (RFC 5849).
  await using signed = new OAuth1Client({ clientId, clientSecret, token, tokenSecret })
  await signed.post('https://api.example.com/1.1/statuses', { form: { status: 'hello' } })
}

// TSDoc example of MemoryTokenStore (lib/store/token-store.ts)
{
  const store = new MemoryTokenStore()
  const options = {
    clientId,
    clientSecret,
    tokenEndpoint,
    grantType: 'client_credentials',
    tokenStore: store,
  } as const
  await using reports = new OAuth2Client(options)
  await using billing = new OAuth2Client(options)
  await Promise.all([
    reports.get('https://api.example.com/reports'),
    billing.get('https://api.example.com/invoices'),
  ])
}

// Sessions
{
  await using session = new Session({ baseUrl: 'https://api.example.com/v1/', timeout: 10_000 })
  const { statusCode, body } = await session.get('users', { query: { page: 2 } })
  console.log(statusCode, await body.json())
  await request('https://api.example.com/v1/me', { dispatcher: session.dispatcher })
}

// OAuth 2.0
{
  const client = new OAuth2Client({
    clientId: 'your-client-id',
    clientSecret: 'your-client-secret',
    scope: 'openid profile',
    redirectUri: 'https://app.example.com/callback',
    tokenEndpoint: 'https://as.example.com/oauth/token',
    authorizationEndpoint: 'https://as.example.com/oauth/authorize',
  })
  const discovered = await OAuth2Client.discover('https://as.example.com', { clientId, clientSecret })

  // Authorization code (with PKCE)
  {
    const { url, state, codeVerifier } = client.createAuthorizationUrl()
    console.log(url)
    const token = await client.fetchToken(undefined, {
      authorizationResponse: callbackUrl,
      state,
      codeVerifier,
    })
    const { statusCode, body } = await client.get('https://api.example.com/me')
    console.log(token, statusCode, body)
    client.createAuthorizationUrl(undefined, { extraParams: { prompt: 'consent' } })
    client.createAuthorizationUrl(undefined, { responseType: 'token' })
  }

  // Implicit, password, client credentials and extension grants
  {
    const { state } = client.createAuthorizationUrl()
    await client.fetchToken(undefined, {
      authorizationResponse: 'https://app.example.com/cb#access_token=…&token_type=Bearer',
      state,
    })
    await client.fetchToken(undefined, { username: 'alice', password: 'wonderland' })
    await client.fetchToken()
    await client.fetchToken(undefined, {
      grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
      extraParams: { subject_token: t, subject_token_type: type },
    })
  }

  // Revocation, introspection
  await client.revokeToken()
  await client.revokeToken(undefined, { token: accessToken, tokenTypeHint: 'access_token' })
  const info = await client.introspectToken()
  console.log(info.active, discovered.metadata)

  // Compliance hooks
  client.registerComplianceHook('access_token_response', response => {
    const fields = Object.fromEntries(new URLSearchParams(response.body))
    return {
      ...response,
      body: JSON.stringify({ ...fields, token_type: 'Bearer', expires_in: Number(fields.expires) }),
    }
  })
  client.registerComplianceHook('protected_request', request => {
    const url = new URL(request.url)
    url.searchParams.set('site', 'stackoverflow')
    return { ...request, url: url.href }
  })
}

// Refresh and updateToken
{
  const client = new OAuth2Client({
    clientId,
    clientSecret,
    tokenEndpoint,
    token: await store.load(userId),
    updateToken: async (token, { refreshToken, accessToken }) => {
      console.log(refreshToken, accessToken)
      await store.save(userId, token)
    },
  })
  await client.get('https://api.example.com/items')
  await client.refreshToken()
  await client.ensureActiveToken()
  await client.refreshToken(undefined, { refreshToken: savedRefreshToken })
}

// Client authentication
{
  const apiKeyClient = new OAuth2Client({
    clientId,
    clientSecret,
    tokenEndpoint,
    tokenEndpointAuthMethod: {
      name: 'api_key',
      authenticate(request, { clientId, clientSecret }) {
        request.headers['x-api-key'] = `${clientId}:${String(clientSecret)}`
      },
    },
  })
  apiKeyClient.registerClientAuthMethod(new ClientSecretJWT(tokenEndpoint))
}

// Closing
{
  const client = new OAuth2Client({ clientId, clientSecret, tokenEndpoint })
  await client.get(url)
  await client.close()

  await using client2 = new OAuth2Client({ clientId, clientSecret, tokenEndpoint })
  await client2.get(url)
}

// JWT client authentication
{
  const tokenEndpoint = 'https://example.com/oauth/token'
  const client = new OAuth2Client({
    clientId: 'your-client-id',
    clientSecret: 'your-client-secret',
    tokenEndpoint,
    tokenEndpointAuthMethod: new ClientSecretJWT(tokenEndpoint),
  })
  await client.fetchToken()
  const privateKey = await readFile('your-private-key.pem', 'utf8')
  const keyClient = new OAuth2Client({
    clientId: 'your-client-id',
    tokenEndpoint,
    tokenEndpointAuthMethod: new PrivateKeyJWT(tokenEndpoint, { key: privateKey }),
  })
  await keyClient.fetchToken()
  new PrivateKeyJWT(tokenEndpoint, { key: privateKey, alg: 'ES256', kid: 'k1' })
}

// Service accounts
{
  const conf = JSON.parse(await readFile('MyProject-1234.json', 'utf8'))
  const tokenUri: string = conf.token_uri
  const header: Record<string, unknown> = { alg: 'RS256' }
  if (conf.private_key_id) header.kid = conf.private_key_id

  await using client = new AssertionClient({
    tokenEndpoint: tokenUri,
    issuer: conf.client_email,
    audience: tokenUri,
    claims: { scope: 'https://www.googleapis.com/auth/cloud-platform' },
    subject: null,
    key: conf.private_key,
    header,
  })
  const response = await client.get(`https://storage.googleapis.com/storage/v1/b?project=${conf.project_id}`)
  console.log(response.statusCode)
}

// Pushed authorization requests
{
  const client = await OAuth2Client.discover('https://as.example.com', {
    clientId,
    clientSecret,
    redirectUri,
  })
  const { url, state, codeVerifier, nonce, expiresIn } = await client.pushAuthorizationRequest({
    scope: 'openid',
  })
  // redirect the user to `url`, then fetchToken({ authorizationResponse, state, codeVerifier }) as above
  console.log(url, state, codeVerifier, nonce, expiresIn)
}

// Signed request objects
{
  const client = await OAuth2Client.discover(issuer, {
    clientId,
    clientSecret,
    redirectUri,
    requestObject: { key: privateKeyPem, alg: 'PS256', kid: 'key-1' },
  })
  const pushed = await client.pushAuthorizationRequest() // body: client_id and request
  const plain = await client.createSignedAuthorizationUrl() // URL: client_id and request
  console.log(pushed.url, plain.url)
}

// Dynamic client registration
{
  const registered = await OAuth2Client.register(
    'https://as.example.com', // an issuer (its metadata names registration_endpoint), or the endpoint itself
    { redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' },
    { initialAccessToken }, // when the server requires one (RFC 7591 §3)
  )
  const client = await OAuth2Client.discover('https://as.example.com', {
    clientId: registered.client_id,
    clientSecret: registered.client_secret,
  })
  const current = await OAuth2Client.readRegistration(registered)
  const updated = await OAuth2Client.updateRegistration(registered, { ...registered, client_name: 'App' })
  await OAuth2Client.deleteRegistration(updated)
  console.log(client.metadata, current.client_id)
}

// OAuth 1.0a
{
  await using client = new OAuth1Client({
    clientId: 'consumer-key',
    clientSecret: 'consumer-secret',
    redirectUri: 'https://app.example/callback',
    baseUrl: 'https://api.provider.example/',
  })
  const temporary = await client.fetchRequestToken('/oauth/request_token')
  const url = client.createAuthorizationUrl('https://provider.example/oauth/authorize')
  console.log(url)
  client.token = temporary
  client.parseAuthorizationResponse(callbackUrl)
  const token = await client.fetchAccessToken('/oauth/access_token')
  console.log(token.oauth_token)
}
{
  const client = new OAuth1Client({ clientId, clientSecret, token: 'tok', tokenSecret: 'tok-secret' })
  await client.get('https://api.example/1.1/search', { query: { q: "caf\u00e9 [a]|b's" } })
  await client.post('https://api.example/statuses', { form: { status: 'hi!*()' } })
  await client.put('https://api.example/doc', { json: { a: 1 } })
}

// Running a fleet
{
  const redis = new Redis(process.env.REDIS_URL!)
  redis.on('error', err => console.error('redis', err.message))
  const client = new OAuth2Client({
    clientId,
    clientSecret,
    tokenEndpoint,
    grantType: 'client_credentials',
    tokenStore: new RedisTokenStore(redis, { encryptionKey }), // encryptionKey: 32 random bytes
    onStoreError: 'local', // the default; or 'fail'
  })
  console.log(client.storeKey)
}
{
  const redis = createClient({ url: process.env.REDIS_URL! })
  redis.on('error', err => console.error('redis', err.message)) // without it node-redis throws on a lost socket
  await redis.connect()
  const client = AssertionClient.fromServiceAccount(keyFile, {
    scope: ['api:read'],
    tokenStore: new RedisTokenStore(redis, { encryptionKey }),
  })
  console.log(client.storeKey)
}

// Mutual TLS (RFC 8705)
{
  await using client = await OAuth2Client.discover('https://as.example.com', {
    clientId: 'my-client',
    tokenEndpointAuthMethod: 'tls_client_auth', // or 'self_signed_tls_client_auth'
    grantType: 'client_credentials',
    tls: { cert: readFileSync('client.crt'), key: readFileSync('client.key'), passphrase },
  })
  const response = await client.get('https://api.example.com/me') // token bound to client.crt
  console.log(response.statusCode)
}
