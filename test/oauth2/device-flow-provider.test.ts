/**
 * The device authorization grant (RFC 8628) end to end against the real oidc-provider: the user
 * code is approved (or denied) on the provider's own /device pages over plain HTTP while the
 * client polls; the token it then holds works at the protected resource.
 */
import t from 'tap'
import { OAuthError } from '../../lib/errors.js'
import { OAuth2Client } from '../../lib/oauth2/client.js'
import type { OAuth2Token } from '../../lib/oauth2/token.js'
import { oauthError } from '../fixtures/match.js'
import { DEVICE_CLIENTS, DEVICE_CODE_GRANT, startProvider, startResource } from '../fixtures/provider.js'

const op = await startProvider({ deviceFlow: true })
const rs = await startResource(op.provider)
t.teardown(async () => {
  await rs.close()
  await op.close()
})

t.test('approved on the device pages: the poll returns the token and the resource accepts it', async t => {
  const updates: OAuth2Token[] = []
  await using client = await OAuth2Client.discover(op.issuer, {
    clientId: DEVICE_CLIENTS.public.client_id,
    scope: 'openid offline_access api:read',
    updateToken: token => void updates.push(token),
  })
  t.equal(client.metadata.device_authorization_endpoint, `${op.issuer}/device/auth`, 'discovered')
  const authorization = await client.deviceAuthorization()
  t.equal(authorization.verification_uri, `${op.issuer}/device`)
  t.match(authorization.verification_uri_complete, /user_code=/)
  t.equal(authorization.interval, 5, 'oidc-provider names no interval: the RFC 8628 default')
  op.counters.reset()
  const started = Date.now()
  const polling = client.pollDeviceToken(authorization)
  await op.approveDevice(authorization.user_code)
  const token = await polling
  t.ok(Date.now() - started >= 5_000 - 2, 'the first poll came after the interval')
  t.equal(op.counters.byGrantType[DEVICE_CODE_GRANT], 1, 'one poll: the user approved within the interval')
  t.ok(token.refresh_token, 'offline_access: a refresh token too')
  t.same(updates, [token], 'updateToken saw the token')
  const { statusCode, body } = await client.get(`${rs.url}/me`)
  t.equal(statusCode, 200)
  t.match(await body.json(), { ok: true, sub: 'alice', client: DEVICE_CLIENTS.public.client_id })
})

t.test('a denial on the device pages ends the poll of a confidential client with access_denied', async t => {
  await using client = await OAuth2Client.discover(op.issuer, {
    clientId: DEVICE_CLIENTS.confidential.client_id,
    clientSecret: DEVICE_CLIENTS.confidential.client_secret,
    scope: 'api:read',
  })
  const authorization = await client.deviceAuthorization()
  const polling = client.pollDeviceToken(authorization)
  await op.approveDevice(authorization.user_code, { deny: true })
  await t.rejects(polling, oauthError('access_denied', { constructor: OAuthError, statusCode: 400 }))
  t.equal(client.token, undefined)
})

t.test('a wrong secret is refused at the device authorization endpoint', async t => {
  await using client = await OAuth2Client.discover(op.issuer, {
    clientId: DEVICE_CLIENTS.confidential.client_id,
    clientSecret: 'wrong',
  })
  await t.rejects(client.deviceAuthorization(), oauthError('invalid_client', { statusCode: 401 }))
})
