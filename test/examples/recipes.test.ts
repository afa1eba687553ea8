/**
 * Issue 18, acceptance 4: every provider recipe in scripts/examples/ runs, against the embedded
 * oidc-provider (Okta, Keycloak), oauthlib's OAuth 1 provider (X) or a stand-in that checks what
 * the real provider checks (Entra ID, Auth0, GitHub, Salesforce; test/examples/stand-ins.ts). Each
 * quirk is also shown to matter: the request the recipe avoids is refused. And each script, run
 * directly without its inputs, prints its usage.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { request } from 'undici'
import { AssertionClient, OAuth2Client, PrivateKeyJWT } from '../../lib/index.js'
import { auth0Client, callAuth0Api } from '../../scripts/examples/auth0-client-credentials.js'
import {
  callWithEntraCertificate,
  certificateThumbprintS256,
  GRAPH_DEFAULT_SCOPE,
} from '../../scripts/examples/entra-certificate.js'
import { signInWithGitHub } from '../../scripts/examples/github-device-flow.js'
import { exchangeForAudience } from '../../scripts/examples/keycloak-token-exchange.js'
import { callAsOktaServiceApp, oktaServiceAppClient } from '../../scripts/examples/okta-private-key-jwt.js'
import { callSalesforce } from '../../scripts/examples/salesforce-jwt-bearer.js'
import { callAsXUser } from '../../scripts/examples/x-oauth1-user-context.js'
import { oauthError } from '../fixtures/match.js'
import { OAUTH1_CLIENT, oauth1ProviderSkipReason, startOAuth1Provider } from '../fixtures/oauth1-provider.js'
import {
  CLIENT_PRIVATE_JWK,
  DEFAULT_CLIENTS,
  EXCHANGE_CLIENT,
  startProvider,
  startResource,
  TEST_USER,
} from '../fixtures/provider.js'
import {
  startAuth0StandIn,
  startEntraStandIn,
  startGitHubStandIn,
  startSalesforceStandIn,
} from './stand-ins.js'

const keys = new URL('../fixtures/keys/', import.meta.url)
const CERTIFICATE = readFileSync(new URL('recipe-app-cert.pem', keys), 'utf8')
const PRIVATE_KEY = readFileSync(new URL('recipe-app-key.pem', keys), 'utf8')

t.test('Entra ID: client credentials with a certificate (x5t#S256, PS256, /.default)', async t => {
  const clientId = '11111111-2222-3333-4444-555555555555'
  const entra = await startEntraStandIn({ clientId, certificate: CERTIFICATE })
  t.teardown(() => entra.close())
  const options = {
    tokenEndpoint: `${entra.url}/tenant-1/oauth2/v2.0/token`,
    clientId,
    certificate: CERTIFICATE,
    privateKey: PRIVATE_KEY,
  }

  const result = await callWithEntraCertificate(options, `${entra.url}/v1.0/organization`)
  t.same(result, { status: 200, body: { value: [{ id: 'tenant-1' }] } })
  const [sent] = entra.tokenRequests
  t.equal(sent?.get('scope'), GRAPH_DEFAULT_SCOPE)
  const header = decodeProtectedHeader(sent?.get('client_assertion') ?? '')
  t.equal(header.alg, 'PS256')
  t.equal(header['x5t#S256'], certificateThumbprintS256(CERTIFICATE))
  t.equal(decodeJwt(sent?.get('client_assertion') ?? '').aud, options.tokenEndpoint)

  // The quirk matters: the same key without the thumbprint header is an unknown credential.
  await using bare = new OAuth2Client({
    clientId,
    tokenEndpoint: options.tokenEndpoint,
    scope: GRAPH_DEFAULT_SCOPE,
    tokenEndpointAuthMethod: new PrivateKeyJWT(options.tokenEndpoint, { key: PRIVATE_KEY, alg: 'PS256' }),
  })
  await t.rejects(bare.fetchToken(), oauthError('invalid_client', { statusCode: 401 }))
  // ...and a scope without /.default is refused.
  await t.rejects(
    callWithEntraCertificate({ ...options, scope: 'User.Read' }, `${entra.url}/v1.0/organization`),
    oauthError('invalid_scope'),
  )
})

t.test('Auth0: client credentials with audience, renewals included', async t => {
  const config = { clientId: 'm2m-app', clientSecret: 'm2m-secret', audience: 'https://orders.example/' }
  const auth0 = await startAuth0StandIn({ ...config, expiresIn: 2 })
  t.teardown(() => auth0.close())
  const options = { ...config, tokenEndpoint: `${auth0.url}/oauth/token` }

  t.same(await callAuth0Api(options, `${auth0.url}/orders`), { status: 200, body: { orders: [] } })

  // Renewal: leeway is at most half the 2 s lifetime, so after 1.1 s the next request re-grants.
  await using client = auth0Client(options)
  t.equal((await client.get(`${auth0.url}/orders`)).statusCode, 200)
  await sleep(1_100)
  const renewed = await client.get(`${auth0.url}/orders`)
  await renewed.body.dump()
  t.equal(renewed.statusCode, 200)
  t.equal(auth0.tokenRequests.length, 3, 'one grant for the first call, two for the client that renewed')
  for (const body of auth0.tokenRequests) {
    t.equal(body.get('audience'), config.audience, 'every grant names the API')
    t.equal(body.get('grant_type'), 'client_credentials')
  }

  // The quirk matters: Auth0 refuses a client-credentials request without audience.
  await using plain = new OAuth2Client({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    tokenEndpoint: options.tokenEndpoint,
    tokenEndpointAuthMethod: 'client_secret_post',
  })
  await t.rejects(plain.fetchToken(), oauthError('access_denied', { statusCode: 403 }))
})

t.test('GitHub: device flow with 200 answers while pending', async t => {
  const github = await startGitHubStandIn({ clientId: 'Iv1.recipe', interval: 0.05, pendingPolls: 2 })
  t.teardown(() => github.close())
  const endpoints = {
    deviceAuthorization: `${github.url}/login/device/code`,
    token: `${github.url}/login/oauth/access_token`,
    api: `${github.url}/user`,
  }
  const shown: string[] = []
  const result = await signInWithGitHub({
    clientId: 'Iv1.recipe',
    scope: 'read:user',
    endpoints,
    show: authorization => shown.push(`${authorization.verification_uri} ${authorization.user_code}`),
  })
  t.same(result, { status: 200, body: { login: 'octocat', id: 1 }, scope: 'read:user' })
  t.same(shown, [`${github.url}/login/device WDJB-MJHT`])
  t.same(github.pollAnswers, [
    { status: 200, answer: 'authorization_pending' },
    { status: 200, answer: 'authorization_pending' },
    { status: 200, answer: 'token' },
  ])
  t.ok(
    github.accepts.slice(0, 4).every(accept => accept === 'application/json'),
    'device and token endpoints asked for JSON (else GitHub answers form-encoded)',
  )

  // A denial, also answered with 200, ends the poll with the user's answer.
  const denying = await startGitHubStandIn({
    clientId: 'Iv1.recipe',
    interval: 0.05,
    pendingPolls: 1,
    deny: true,
  })
  t.teardown(() => denying.close())
  await t.rejects(
    signInWithGitHub({
      clientId: 'Iv1.recipe',
      endpoints: {
        ...endpoints,
        deviceAuthorization: `${denying.url}/login/device/code`,
        token: `${denying.url}/login/oauth/access_token`,
      },
      show: () => {},
    }),
    oauthError('access_denied', { statusCode: 200 }),
  )
  t.equal(denying.pollAnswers.length, 2)
})

t.test('embedded oidc-provider: Okta private_key_jwt and Keycloak token exchange', async t => {
  const op = await startProvider({ tokenExchange: true })
  const rs = await startResource(op.provider)
  t.teardown(async () => {
    await rs.close()
    await op.close()
  })

  t.test('Okta: kid in the header, aud the token endpoint, custom scope', async t => {
    const result = await callAsOktaServiceApp(
      {
        tokenEndpoint: op.urls.token,
        clientId: DEFAULT_CLIENTS.privateKeyJwt.client_id,
        privateKey: CLIENT_PRIVATE_JWK,
        keyId: CLIENT_PRIVATE_JWK.kid,
        scope: 'api:read',
      },
      `${rs.url}/reports`,
    )
    t.equal(result.status, 200)
    t.match(result.body, { client: DEFAULT_CLIENTS.privateKeyJwt.client_id, scope: 'api:read' })
    const assertion = op.counters.clientAssertions.at(-1) ?? ''
    t.equal(decodeProtectedHeader(assertion).kid, CLIENT_PRIVATE_JWK.kid)
    t.equal(decodeJwt(assertion).aud, op.urls.token)
    t.throws(
      () =>
        oktaServiceAppClient({
          tokenEndpoint: op.urls.token,
          clientId: 'c',
          privateKey: CLIENT_PRIVATE_JWK,
          keyId: '',
          scope: 's',
        }),
      TypeError,
    )
  })

  t.test('Keycloak: an access token exchanged for another client (audience)', async t => {
    await using user = new OAuth2Client({
      clientId: DEFAULT_CLIENTS.basic.client_id,
      clientSecret: DEFAULT_CLIENTS.basic.client_secret,
      tokenEndpoint: op.urls.token,
    })
    const subject = await user.fetchToken(undefined, { ...TEST_USER, scope: 'api:read api:write' })
    const issued = await exchangeForAudience({
      tokenEndpoint: op.urls.token,
      clientId: EXCHANGE_CLIENT.client_id,
      clientSecret: EXCHANGE_CLIENT.client_secret,
      subjectToken: subject.access_token,
      audience: 'orders-service',
      scope: 'api:read',
    })
    t.match(issued, {
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
    })
    t.match(op.exchanges.at(-1), {
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'orders-service',
    })
    await using caller = new OAuth2Client({
      token: { access_token: issued.access_token, token_type: 'Bearer' },
    })
    const response = await caller.get(`${rs.url}/orders`)
    t.match(await response.body.json(), {
      sub: TEST_USER.username,
      client: EXCHANGE_CLIENT.client_id,
      scope: 'api:read',
    })
  })
})

t.test('X: OAuth 1.0a user context against oauthlib', { skip: oauth1ProviderSkipReason() }, async t => {
  const provider = await startOAuth1Provider()
  t.teardown(() => provider.close())
  const callbackUrl = 'http://127.0.0.1:1/x-callback'
  const result = await callAsXUser(
    {
      consumerKey: OAUTH1_CLIENT.clientId,
      consumerSecret: OAUTH1_CLIENT.clientSecret,
      callbackUrl,
      endpoints: {
        requestToken: `${provider.url}/request_token`,
        authorize: `${provider.url}/authorize`,
        accessToken: `${provider.url}/access_token`,
      },
      // The user's browser: oauthlib's provider approves at once and redirects to the callback.
      authorize: async url => {
        const approval = await request(url)
        await approval.body.dump()
        return String(approval.headers['location'])
      },
    },
    `${provider.url}/resource/2/users/me`,
  )
  t.equal(result.status, 200)
  t.match(result.body, { method: 'GET', path: '/resource/2/users/me', signature_type: 'header' })
  t.match((result.body as { oauth_params: Record<string, string> }).oauth_params, {
    oauth_signature_method: 'HMAC-SHA1',
    oauth_consumer_key: OAUTH1_CLIENT.clientId,
  })
})

t.test('Salesforce: JWT bearer with aud the login host, a short exp and instance_url', async t => {
  const config = { consumerKey: '3MVG9recipe', username: 'integration@example.com', certificate: CERTIFICATE }
  const salesforce = await startSalesforceStandIn(config)
  t.teardown(() => salesforce.close())
  const tokenEndpoint = `${salesforce.url}/services/oauth2/token`
  const result = await callSalesforce(
    { consumerKey: config.consumerKey, username: config.username, privateKey: PRIVATE_KEY, tokenEndpoint },
    '/services/data/v62.0/limits',
  )
  t.same(result, { instanceUrl: salesforce.url, status: 200, body: { DailyApiRequests: { Max: 15000 } } })
  const assertion = decodeJwt(salesforce.tokenRequests[0]?.get('assertion') ?? '')
  t.equal(assertion.aud, 'https://login.salesforce.com')
  t.ok(assertion.exp! - assertion.iat! <= 180, 'exp at most three minutes ahead')

  // The quirks matter: an assertion for the token endpoint, or living an hour, is refused.
  for (const extra of [{}, { audience: 'https://login.salesforce.com' }]) {
    await using client = new AssertionClient({
      tokenEndpoint,
      issuer: config.consumerKey,
      subject: config.username,
      key: PRIVATE_KEY,
      ...extra,
    })
    await t.rejects(client.fetchToken(), oauthError('invalid_grant', { statusCode: 400 }))
  }
})

t.test('each script run without its inputs prints its usage and exits 2', async t => {
  const scripts = [
    'auth0-client-credentials',
    'entra-certificate',
    'github-device-flow',
    'keycloak-token-exchange',
    'okta-private-key-jwt',
    'salesforce-jwt-bearer',
    'x-oauth1-user-context',
  ]
  const runs = await Promise.all(
    scripts.map(
      name =>
        new Promise<{ name: string; code: number | null; stderr: string }>((resolve, reject) => {
          const path = fileURLToPath(new URL(`../../scripts/examples/${name}.ts`, import.meta.url))
          // The script runs as a user runs it (tsx), without the runner's hooks and coverage: tap
          // puts NODE_OPTIONS and NODE_V8_COVERAGE back into every child's environment, and c8
          // merges every process's coverage of a lib/ file by URL, so tsx's transform of the same
          // file would garble its counts. `env -u` removes them; env then becomes the program.
          const unset = ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE']
          const child = spawn('env', [...unset, process.execPath, '--import', 'tsx', path], {
            env: { PATH: process.env['PATH'] ?? '' },
            stdio: ['ignore', 'ignore', 'pipe'],
            timeout: 60_000, // generous: only a machine under heavy load comes near it
          })
          let stderr = ''
          child.stderr.on('data', chunk => {
            stderr += chunk
          })
          child.once('error', reject)
          child.once('close', code => resolve({ name, code, stderr }))
        }),
    ),
  )
  for (const run of runs) {
    t.equal(run.code, 2, `${run.name} exits 2`)
    t.match(run.stderr, new RegExp(`^usage: .*scripts/examples/${run.name}\\.ts`), `${run.name} prints usage`)
  }
})
