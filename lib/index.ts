export {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsClient,
  type DpopNonceRetryMessage,
  type RenewalWaitMessage,
  type SessionCloseMessage,
  type StoreAdoptMessage,
  type StoreLockWaitMessage,
  type TokenRequestMessage,
  type TokenRequestReason,
  type UnauthorizedRetryMessage,
} from './diagnostics/channels.js'
export {
  ClientClosedError,
  IdTokenValidationError,
  InsecureTransportError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidResponseError,
  MismatchingIssuerError,
  MismatchingStateError,
  MissingTokenError,
  OAUTH_ERROR_CODES,
  OAuthError,
  type OAuthErrorCode,
  type OAuthErrorOptions,
  RequestTimeoutError,
  TokenExpiredError,
  TokenStoreError,
} from './errors.js'
export type { EndpointResponse } from './http/endpoint-errors.js'
export type { KeyLike } from './key-like.js'
export {
  type CreateAuthorizationUrlParams,
  type FetchAccessTokenParams,
  type FetchRequestTokenParams,
  OAuth1Client,
  type OAuth1ClientOptions,
  type OAuth1Token,
} from './oauth1/client.js'
export type { SignatureType } from './oauth1/placement.js'
export type { SignatureMethod } from './oauth1/signature.js'
export {
  AssertionClient,
  type AssertionClientOptions,
  JWT_BEARER_GRANT_TYPE,
  type ServiceAccountOptions,
} from './oauth2/assertion-client.js'
export type { AuthorizationUrl, AuthorizationUrlParams } from './oauth2/authorization-request.js'
export type { TokenPlacement } from './oauth2/bearer.js'
export { OAuth2Client, type OAuth2ClientOptions } from './oauth2/client.js'
export type {
  ClientAuthMethod,
  ClientAuthMethodName,
  ClientAuthRequest,
  ClientCredentials,
} from './oauth2/client-auth-method.js'
export { ClientSecretJWT, type ClientSecretJWTOptions } from './oauth2/client-secret-jwt.js'
export type {
  ComplianceHook,
  ComplianceHookName,
  ComplianceHooks,
  HookRequest,
  RequestHook,
  ResponseHook,
} from './oauth2/compliance-hooks.js'
export {
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorization,
  type DeviceAuthorizationParams,
} from './oauth2/device-authorization.js'
export type { DpopAlgorithm, DpopKeyPair, DpopOption } from './oauth2/dpop.js'
export type { ExtensionGrantType, GrantType } from './oauth2/grant-type.js'
export type { FetchTokenParams, RefreshTokenParams } from './oauth2/grants.js'
export type { IntrospectionResponse } from './oauth2/introspection.js'
export type { JwtAlgorithm, JwtHeader } from './oauth2/jwt-assertion.js'
export type { AuthorizationServerMetadata } from './oauth2/metadata.js'
export type { EndSessionUrlParams } from './oauth2/oidc/end-session.js'
export type { IdTokenClaims } from './oauth2/oidc/id-token.js'
export type { UserinfoClaims } from './oauth2/oidc/userinfo.js'
export type { ExtraParams } from './oauth2/parameters.js'
export {
  type CodeChallengeMethod,
  createCodeChallenge,
  generateCodeVerifier,
  generateToken,
} from './oauth2/pkce.js'
export { PrivateKeyJWT, type PrivateKeyJWTOptions } from './oauth2/private-key-jwt.js'
export type { PushedAuthorizationUrl } from './oauth2/pushed-authorization.js'
export type {
  ClientMetadata,
  RegisteredClient,
  RegistrationHandle,
  RegistrationOptions,
} from './oauth2/registration.js'
export type { RequestObjectOptions } from './oauth2/request-object.js'
export type { ResourceIndicator } from './oauth2/resource-indicators.js'
export type { TokenHintParams } from './oauth2/revocation.js'
export type { ServiceAccountKey } from './oauth2/service-account.js'
export { isTokenExpired, type OAuth2Token } from './oauth2/token.js'
export {
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_TYPES,
  type TokenExchangeParams,
  type TokenExchangeResponse,
  type TokenTypeUri,
} from './oauth2/token-exchange.js'
export type { TokenSessionOptions, TokenSource, UpdateToken } from './oauth2/token-session.js'
export {
  type PreparedRequest,
  type RequestOptions,
  type ResponseData,
  Session,
  type SessionOptions,
} from './session.js'
export { STORE_UNAVAILABLE_WARNING } from './store/shared-renewal.js'
export type { StoreErrorPolicy, TokenStoreOptions } from './store/store-options.js'
export { MemoryTokenStore, type TokenStore } from './store/token-store.js'
