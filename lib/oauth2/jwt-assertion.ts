import { randomBytes } from 'node:crypto'
import { type InspectOptions, inspect } from 'node:util'
import { type JWTHeaderParameters, SignJWT } from 'jose'
import { InvalidOptionError } from '../errors.js'
import { checkKnownKeys, type OptionNames } from '../http/options.js'
import type { AsymmetricAlgorithm, HmacAlgorithm, SigningKey } from '../keys.js'
import type { ClientAuthMethod, ClientAuthRequest, ClientCredentials } from './client-auth-method.js'

/** RFC 7523 §2.2: the client_assertion_type of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * Default assertion lifetime for client authentication, in seconds. Short on purpose: the JWT is
 * used once, right away, and RFC 7523 §3 (item 4) asks for an `exp` that limits the replay window.
 */
export const DEFAULT_CLIENT_ASSERTION_LIFETIME = 60

export interface SignAssertionParams {
  /** `iss` (RFC 7523 §3 item 1). */
  issuer: string
  /** `sub` (item 2); omitted when undefined (the jwt-bearer grant may not have one). */
  subject?: string | undefined
  /** `aud` (item 3). */
  audience: string
  key: SigningKey
  alg: string
  /** Header `kid`; falls back to `headers.kid`, then to the JWK's own `kid`. */
  kid?: string | undefined
  /** Extra claims. The registered ones this function sets (iss, sub, aud, jti, iat, exp) always win. */
  claims?: Record<string, unknown> | undefined
  /** Extra header parameters; `alg` and `kid` are set from the parameters above, `typ` defaults to 'JWT'. */
  headers?: Record<string, unknown> | undefined
  /** Lifetime in seconds: `exp` = `iat` + expiresIn. */
  expiresIn: number
}

/** Signs one assertion with jose. Every call gets a fresh `jti` (RFC 7523 §3 item 7: never reused). */
export function signAssertion(params: SignAssertionParams): Promise<string> {
  // Back-dated by one second so a server whose clock runs slightly behind does not see an `iat`
  // from the future and reject the assertion (RFC 7519 §4.1.6 leaves the check to the server).
  const iat = Math.floor(Date.now() / 1000) - 1
  const payload = {
    ...params.claims,
    iss: params.issuer,
    ...(params.subject === undefined ? {} : { sub: params.subject }),
    aud: params.audience,
    jti: randomBytes(24).toString('base64url'),
    iat,
    exp: iat + params.expiresIn,
  }
  const headerKid = typeof params.headers?.['kid'] === 'string' ? params.headers['kid'] : undefined
  const kid = params.kid ?? headerKid ?? params.key.kid
  const header: JWTHeaderParameters = {
    typ: 'JWT',
    ...params.headers,
    alg: params.alg,
    ...(kid === undefined ? {} : { kid }),
  }
  return new SignJWT(payload).setProtectedHeader(header).sign(params.key.key)
}

/**
 * The JWS algorithms this package signs with (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864).
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm

/**
 * JWT header parameters (RFC 7515 §4.1), with an `alg` from those that fit.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1
 */
export interface JwtHeader<A extends JwtAlgorithm = JwtAlgorithm> {
  /** The signing algorithm. @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.1 */
  alg?: A
  /** The key's id, for the server to pick the verification key. @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.4 */
  kid?: string
  [parameter: string]: unknown
}

/**
 * Options shared by ClientSecretJWT and PrivateKeyJWT; `A` the algorithms that fit.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export interface JwtClientAuthOptions<A extends JwtAlgorithm = JwtAlgorithm> {
  /** The signing algorithm (default HS256 or RS256), also taken from `headers.alg`. @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1 */
  alg?: A
  /** Extra claims for the assertion; `iss`, `sub`, `aud`, `exp`, `iat` and `jti` are set by the client. @see https://www.rfc-editor.org/rfc/rfc7523#section-3 */
  claims?: Record<string, unknown>
  /** Extra JWT header parameters. @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1 */
  headers?: JwtHeader<A>
  /** Assertion lifetime in seconds (default 60): its `exp` is this far after `iat`. @see https://www.rfc-editor.org/rfc/rfc7523#section-3 */
  expiresIn?: number
}

export const JWT_CLIENT_AUTH_OPTIONS: OptionNames<JwtClientAuthOptions> = {
  alg: true,
  claims: true,
  headers: true,
  expiresIn: true,
}

/**
 * RFC 7523 §2.2 client authentication with a signed JWT: the shared half of client_secret_jwt and
 * private_key_jwt (OIDC Core §9). Subclasses say where the key comes from and which algorithms fit.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export abstract class JwtClientAuthMethod implements ClientAuthMethod {
  /** The `token_endpoint_auth_method` it serves. */
  abstract readonly name: string
  /** The JWS algorithm the assertions are signed with. */
  readonly alg: string
  /** The assertion's `aud` when set; otherwise the URL of the endpoint being called. */
  readonly tokenEndpoint: string | undefined
  readonly #claims: Record<string, unknown> | undefined
  readonly #headers: Record<string, unknown> | undefined
  readonly #expiresIn: number
  readonly #kid: string | undefined

  protected constructor(
    tokenEndpoint: string | undefined,
    options: JwtClientAuthOptions & { kid?: string | undefined },
    defaultAlg: string,
    algorithms: readonly string[],
    optionNames: readonly string[],
  ) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`${new.target.name}: options must be an object`)
    }
    checkKnownKeys(`${new.target.name} option`, options, optionNames)
    const headerAlg = typeof options.headers?.['alg'] === 'string' ? options.headers['alg'] : undefined
    const alg = options.alg ?? headerAlg ?? defaultAlg
    if (!algorithms.includes(alg)) {
      throw new InvalidOptionError(
        `${new.target.name}: unsupported alg '${alg}'; expected one of ${algorithms.join(', ')}`,
      )
    }
    const expiresIn = options.expiresIn ?? DEFAULT_CLIENT_ASSERTION_LIFETIME
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new InvalidOptionError(`${new.target.name}: expiresIn must be a positive number of seconds`)
    }
    this.alg = alg
    this.tokenEndpoint = tokenEndpoint
    // Copied, so a caller's later changes to its objects cannot alter what is signed.
    this.#claims = options.claims === undefined ? undefined : { ...options.claims }
    this.#headers = options.headers === undefined ? undefined : { ...options.headers }
    this.#expiresIn = expiresIn
    this.#kid = options.kid
  }

  /** The key material to sign with for this client. */
  protected abstract keyFor(client: ClientCredentials): SigningKey

  /**
   * Adds a freshly signed client assertion to a token-endpoint request, and removes any other
   * client credentials from it.
   * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
   */
  async authenticate(request: ClientAuthRequest, client: ClientCredentials): Promise<void> {
    const clientId = client.clientId
    if (clientId === undefined || clientId === '') {
      throw new InvalidOptionError(
        `${this.name} needs a clientId: it is the assertion's iss and sub (RFC 7523 §3)`,
      )
    }
    const key = this.keyFor(client)
    // aud: the token endpoint when configured, else the endpoint being called (RFC 7523 §3 item 3).
    const called = new URL(request.url)
    called.hash = ''
    const assertion = await signAssertion({
      issuer: clientId,
      subject: clientId,
      audience: this.tokenEndpoint ?? called.href,
      key,
      alg: this.alg,
      kid: this.#kid,
      claims: this.#claims,
      headers: this.#headers,
      expiresIn: this.#expiresIn,
    })
    // RFC 6749 §2.3: one authentication mechanism per request, so no secret travels alongside.
    request.body.delete('client_secret')
    for (const name of Object.keys(request.headers)) {
      if (name.toLowerCase() === 'authorization') delete request.headers[name]
    }
    request.body.set('client_id', clientId)
    request.body.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    request.body.set('client_assertion', assertion)
  }

  /** What is safe to show: no key, secret or assertion. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, alg: this.alg, tokenEndpoint: this.tokenEndpoint, expiresIn: this.#expiresIn }
  }

  /** What `console.log` and `util.inspect` show: the same fields as `toJSON()`, no key or secret. */
  [inspect.custom](_depth: number, options: InspectOptions, inspectFn: typeof inspect): string {
    return `${this.constructor.name} ${inspectFn(this.toJSON(), options)}`
  }
}
