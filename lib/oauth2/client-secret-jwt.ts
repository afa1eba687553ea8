import { InvalidOptionError } from '../errors.js'
import { HMAC_ALGORITHMS, type HmacAlgorithm, KeyCache, type SigningKey, toSecretKey } from '../keys.js'
import type { ClientCredentials } from './client-auth-method.js'
import { JWT_CLIENT_AUTH_OPTIONS, JwtClientAuthMethod, type JwtClientAuthOptions } from './jwt-assertion.js'

/** ClientSecretJWT's options: the shared JWT options, with an HMAC `alg`. @see https://www.rfc-editor.org/rfc/rfc7518#section-3.2 */
export type ClientSecretJWTOptions = JwtClientAuthOptions<HmacAlgorithm>

/**
 * `client_secret_jwt` (OIDC Core §9, RFC 7523 §2.2): the client authenticates with a JWT it signs
 * with HMAC under its client secret, so the secret itself never travels. Default alg HS256.
 *
 *   client.registerClientAuthMethod(new ClientSecretJWT(tokenEndpoint))
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export class ClientSecretJWT extends JwtClientAuthMethod {
  /** Always 'client_secret_jwt' (RFC 7523 §2.2, OpenID Connect Core §9). */
  readonly name = 'client_secret_jwt'
  readonly #keys = new KeyCache(input => toSecretKey(input, 'client_secret_jwt'))

  constructor(tokenEndpoint?: string, options: ClientSecretJWTOptions = {}) {
    super(tokenEndpoint, options, 'HS256', HMAC_ALGORITHMS, Object.keys(JWT_CLIENT_AUTH_OPTIONS))
  }

  protected keyFor(client: ClientCredentials): SigningKey {
    if (client.clientSecret === undefined) {
      throw new InvalidOptionError('client_secret_jwt needs a clientSecret to sign the client assertion')
    }
    return this.#keys.get(client.clientSecret)
  }
}
