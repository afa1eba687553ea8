export {
  ClientClosedError,
  InsecureTransportError,
  InvalidResponseError,
  MismatchingStateError,
  MissingTokenError,
  OAuthError,
  type OAuthErrorOptions,
  TokenExpiredError,
} from './errors.js'
export type { KeyLike } from './key-like.js'
export type { ClientAuthMethod, ClientAuthRequest, ClientCredentials } from './oauth2/client-auth-method.js'
export {
  type PreparedRequest,
  type RequestOptions,
  RequestTimeoutError,
  type ResponseData,
  Session,
  type SessionOptions,
} from './session.js'
