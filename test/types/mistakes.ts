/**
 * Each `@ts-expect-error` line is a mistake from issue 12 that TypeScript must reject: if one of
 * them compiled, tsc would report the directive as unused and test/types.test.ts would fail.
 */
import {
  AssertionClient,
  ClientSecretJWT,
  OAuth2Client,
  type OAuth2ClientOptions,
  PrivateKeyJWT,
  Session,
} from 'undici-oauth'

declare const callbackUrl: string
declare const codeVerifier: string
declare const key: string
const assertion = { tokenEndpoint: 'https://as.example/token', issuer: 'i', key }

// Unknown option names.
// @ts-expect-error client_id is clientId
new OAuth2Client({ client_id: 'cid' })
// @ts-expect-error token_endpoint is tokenEndpoint
new OAuth2Client({ token_endpoint: 'https://as.example/token' })
// @ts-expect-error grant_type is grantType
new OAuth2Client({ grant_type: 'client_credentials' })
// @ts-expect-error baseURL is baseUrl
new Session({ baseURL: 'https://api.example/' })
// @ts-expect-error scopes is scope
new AssertionClient({ ...assertion, scopes: 'a' })

// Misspelt client auth method.
// @ts-expect-error client_secret_base is no method
new OAuth2Client({ tokenEndpointAuthMethod: 'client_secret_base' })
// @ts-expect-error nor on the revocation endpoint
const revocation: OAuth2ClientOptions = { revocationEndpointAuthMethod: 'client_secret_jwt_' }

// Misspelt JWT algorithms.
// @ts-expect-error RS-256 is RS256
new PrivateKeyJWT(undefined, { alg: 'RS-256' })
// @ts-expect-error an HMAC method takes no RSA algorithm
new ClientSecretJWT(undefined, { alg: 'RS256' })
// @ts-expect-error nor in an assertion header
new AssertionClient({ ...assertion, header: { alg: 'RS-256' } })

// Misspelt grant types; an extension grant is an absolute URI.
// @ts-expect-error client_credential is client_credentials
new OAuth2Client({ grantType: 'client_credential' })
// @ts-expect-error an assertion grant is a URI
new AssertionClient({ tokenEndpoint: 'https://as.example/token', issuer: 'i', key, grantType: 'jwt-bearer' })
new OAuth2Client({ grantType: 'urn:example:params:grant-type:custom' })

const client = new OAuth2Client({ clientId: 'cid', grantType: 'client_credentials' })

// createAuthorizationUrl: typos are no parameters; extras go in extraParams.
// @ts-expect-error codeChallangeMethod is no parameter (and codeChallengeMethod is a client option)
client.createAuthorizationUrl(undefined, { codeChallangeMethod: 'plain' })
// @ts-expect-error scopes is scope
client.createAuthorizationUrl(undefined, { scopes: ['openid'] })
// @ts-expect-error extra parameters go in extraParams
client.createAuthorizationUrl(undefined, { display: 'page' })
client.createAuthorizationUrl(undefined, { extraParams: { prompt: 'consent', ui_locales: ['de'] } })

// fetchToken: Authlib's snake_case names and typos.
// @ts-expect-error authorization_response is authorizationResponse
await client.fetchToken(undefined, { authorization_response: callbackUrl, codeVerifier })
// @ts-expect-error sate is state
await client.fetchToken(undefined, { authorizationResponse: callbackUrl, sate: 'xyz', codeVerifier })

export { revocation }
