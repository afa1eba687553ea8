import { InvalidOptionError } from '../errors.js'
import type { OptionNames } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  assertKeyFitsAlgorithm,
  KeyCache,
  type SigningKey,
  toPrivateKey,
} from '../keys.js'
import type { ClientCredentials } from './client-auth-method.js'
import { JWT_CLIENT_AUTH_OPTIONS, JwtClientAuthMethod, type JwtClientAuthOptions } from './jwt-assertion.js'

/** PrivateKeyJWT's options: the shared JWT options, with an asymmetric `alg`. @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 */
export interface PrivateKeyJWTOptions extends JwtClientAuthOptions<AsymmetricAlgorithm> {
  /**
   * The private key; without it the client's `clientSecret` holds the key (docs/jwt-client-auth.md).
   * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.3
   */
  key?: KeyLike
  /** Header `kid`; default the key's JWK `kid`, if any. @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.4 */
  kid?: string
}

const PRIVATE_KEY_JWT_OPTIONS: OptionNames<PrivateKeyJWTOptions> = {
  ...JWT_CLIENT_AUTH_OPTIONS,
  key: true,
  kid: true,
}

/**
 * `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2): the client authenticates with a JWT signed by its
 * private key; the server holds only the public key. Default alg RS256.
 *
 *   client.registerClientAuthMethod(new PrivateKeyJWT(tokenEndpoint, { key: pem }))
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export class PrivateKeyJWT extends JwtClientAuthMethod {
  /** Always 'private_key_jwt' (RFC 7523 §2.2, OpenID Connect Core §9). */
  readonly name = 'private_key_jwt'
  readonly #key: KeyLike | undefined
  readonly #keys: KeyCache

  constructor(tokenEndpoint?: string, options: PrivateKeyJWTOptions = {}) {
    super(tokenEndpoint, options, 'RS256', ASYMMETRIC_ALGORITHMS, Object.keys(PRIVATE_KEY_JWT_OPTIONS))
    const alg = this.alg as AsymmetricAlgorithm
    this.#keys = new KeyCache(input => {
      const imported = toPrivateKey(input, 'private_key_jwt')
      assertKeyFitsAlgorithm(imported.key, alg)
      return imported
    })
    this.#key = options.key
    // A key given up front is checked now, so a wrong key fails at construction, not at first use.
    if (options.key !== undefined) this.#keys.get(options.key)
  }

  protected keyFor(client: ClientCredentials): SigningKey {
    const input = this.#key ?? client.clientSecret
    if (input === undefined) {
      throw new InvalidOptionError(
        'private_key_jwt needs a private key: pass options.key or the client secret',
      )
    }
    return this.#keys.get(input)
  }
}
