import type { TokenRequestReason } from '../diagnostics/channels.js'
import { renewalReason, traceTokenRequest } from '../diagnostics/token-request.js'
import { InvalidOptionError } from '../errors.js'
import { endpointError } from '../http/endpoint-errors.js'
import { checkOneOf, checkPositiveNumber, checkString, checkUrl, optionError } from '../http/options.js'
import type { KeyLike } from '../key-like.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  assertKeyFitsAlgorithm,
  HMAC_ALGORITHMS,
  type SigningKey,
  toPrivateKey,
  toSecretKey,
} from '../keys.js'
import { deriveStoreKey } from '../store/store-key.js'
import {
  ASSERTION_CLIENT_OPTIONS,
  type AssertionClientOptions,
  checkRecord,
} from './assertion-client-options.js'
import type { ClientAuthMethod } from './client-auth-method.js'
import { defaultClientAuthMethods } from './client-auth-registry.js'
import { checkGrantType } from './grant-type.js'
import { signAssertion } from './jwt-assertion.js'
import { appendParams, spaceDelimited } from './parameters.js'
import {
  type ServiceAccountKey,
  type ServiceAccountOptions,
  serviceAccountClientOptions,
} from './service-account.js'
import { type OAuth2Token, parseTokenResponse } from './token.js'
import { type ObtainedToken, type RenewalTrigger, TokenSession } from './token-session.js'

export { ASSERTION_CLIENT_OPTIONS, type AssertionClientOptions } from './assertion-client-options.js'
export type { ServiceAccountOptions } from './service-account.js'

/** RFC 7523 §2.1: the grant type of the JWT bearer assertion grant. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Default assertion lifetime for the grant, in seconds (Authlib's and Google's). */
const DEFAULT_ASSERTION_LIFETIME = 3600

const ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]

function checkNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw optionError(name, 'a non-empty string', value)
  return value
}

function isClientAuthMethod(value: unknown): value is ClientAuthMethod {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ClientAuthMethod).name === 'string' &&
    typeof (value as ClientAuthMethod).authenticate === 'function'
  )
}

/** Imports the grant's signing key once, checked against `alg`; the message names the option, never the key. */
function importKey(key: unknown, alg: string): SigningKey {
  if (key === undefined || key === null)
    throw optionError('key', 'a PEM string, JWK, KeyObject or CryptoKey', key)
  if (HMAC_ALGORITHMS.includes(alg as (typeof HMAC_ALGORITHMS)[number])) {
    return toSecretKey(key as KeyLike, `AssertionClient option \`key\` (${alg})`)
  }
  const imported = toPrivateKey(key as KeyLike, `AssertionClient option \`key\` (${alg})`)
  try {
    assertKeyFitsAlgorithm(imported.key, alg as AsymmetricAlgorithm)
  } catch (err) {
    throw new InvalidOptionError(`option \`key\` does not fit header.alg: ${(err as Error).message}`)
  }
  return imported
}

/**
 * The RFC 7523 §2.1 JWT bearer grant (RFC 7521 assertion framework) as a session: a service
 * account client. It signs a fresh assertion whenever it needs a token and exchanges it at the
 * token endpoint; every request carries the token, renewed before it expires through the same
 * single-flight queue as OAuth2Client's. No explicit token call is needed: the first request
 * obtains one.
 * @example
 * ```ts
 * await using client = new AssertionClient({
 *   tokenEndpoint: 'https://as.example.com/token',
 *   issuer: 'robot@example.com',
 *   key: privateKeyPem, // signs each assertion (RS256 by default)
 *   scope: 'api:read',
 * })
 * const { statusCode } = await client.get('https://api.example.com/v1/reports')
 * ```
 */
export class AssertionClient extends TokenSession {
  protected static override readonly optionNames: readonly string[] = Object.keys(ASSERTION_CLIENT_OPTIONS)
  readonly #tokenEndpoint: URL
  readonly #issuer: string
  readonly #audience: string
  readonly #subject: string | undefined
  readonly #claims: Record<string, unknown> | undefined
  readonly #header: Record<string, unknown>
  readonly #alg: string
  readonly #kid: string | undefined
  readonly #key: SigningKey
  readonly #keySecret: string | undefined
  readonly #scope: string | undefined
  readonly #expiresIn: number
  readonly #grantType: string
  readonly #clientId: string | undefined
  readonly #clientSecret: string | KeyLike | undefined
  readonly #authMethod: ClientAuthMethod | undefined

  /**
   * Checks `options` and imports the key once; no request is made until the first one needs a token.
   * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
   */
  constructor(options: AssertionClientOptions) {
    super(options)
    const endpoint = checkUrl('tokenEndpoint', options.tokenEndpoint)
    if (endpoint === undefined) throw optionError('tokenEndpoint', 'an absolute URL', undefined)
    this.#tokenEndpoint = endpoint
    this.#issuer = checkNonEmptyString('issuer', options.issuer)
    // The audience is compared as a string by servers: the endpoint exactly as the user wrote it.
    this.#audience =
      options.audience === undefined
        ? typeof options.tokenEndpoint === 'string'
          ? options.tokenEndpoint
          : endpoint.href
        : checkNonEmptyString('audience', options.audience)
    this.#subject =
      options.subject === undefined || options.subject === null
        ? undefined
        : checkNonEmptyString('subject', options.subject)
    this.#claims = checkRecord('claims', options.claims)
    const header = checkRecord('header', options.header) ?? {}
    const alg = header.alg ?? 'RS256'
    if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) {
      throw optionError('header.alg', `one of ${ALGORITHMS.join(', ')}`, alg)
    }
    if (header.kid !== undefined && typeof header.kid !== 'string') {
      throw optionError('header.kid', 'a string', header.kid)
    }
    this.#header = header
    this.#alg = alg
    this.#key = importKey(options.key, alg)
    this.#kid = (header.kid as string | undefined) ?? this.#key.kid
    this.#keySecret = typeof options.key === 'string' ? options.key : undefined
    if (options.scope !== undefined && typeof options.scope !== 'string' && !Array.isArray(options.scope)) {
      throw optionError('scope', 'a string or an array of strings', options.scope)
    }
    this.#scope = spaceDelimited(options.scope)
    this.#expiresIn = checkPositiveNumber('expiresIn', options.expiresIn, DEFAULT_ASSERTION_LIFETIME)
    this.#grantType = checkGrantType('grantType', options.grantType) ?? JWT_BEARER_GRANT_TYPE

    this.#clientId = checkString('clientId', options.clientId)
    if (options.clientSecret === null) throw optionError('clientSecret', 'a string or a key', null)
    this.#clientSecret = options.clientSecret
    this.#authMethod = this.#chooseAuthMethod(options.tokenEndpointAuthMethod)
  }

  /**
   * A client for a Google service account (google-auth-library's `fromJSON`): `source` is the
   * parsed key file, its JSON text, or its path (e.g. `process.env.GOOGLE_APPLICATION_CREDENTIALS`,
   * read once, synchronously). `token_uri` is the token endpoint and the assertion's `aud`,
   * `client_email` its `iss` and, unless `subject` says otherwise (a user to act for under
   * domain-wide delegation, or null for none), its `sub`; `private_key` signs RS256 with
   * `private_key_id` as the header `kid`. `scope` goes into the assertion's claims.
   * @see docs/service-accounts.md
   * @example
   * ```ts
   * // the key file Google issued, e.g. process.env.GOOGLE_APPLICATION_CREDENTIALS
   * await using client = AssertionClient.fromServiceAccount('MyProject-1234.json', {
   *   scope: 'https://www.googleapis.com/auth/cloud-platform',
   * })
   * const response = await client.get('https://storage.googleapis.com/storage/v1/b?project=my-project')
   * ```
   */
  static fromServiceAccount(
    source: ServiceAccountKey | string | URL,
    options: ServiceAccountOptions = {},
  ): AssertionClient {
    return new AssertionClient(serviceAccountClientOptions(source, options))
  }

  #chooseAuthMethod(option: unknown): ClientAuthMethod | undefined {
    if (isClientAuthMethod(option)) return option
    const known = defaultClientAuthMethods()
    const name = checkOneOf('tokenEndpointAuthMethod', option, [...known.keys()], 'none')
    if (option === undefined) {
      if (this.#clientId === undefined) {
        if (this.#clientSecret !== undefined)
          throw optionError('clientId', 'set with clientSecret', undefined)
        return undefined
      }
      return known.get(this.#clientSecret === undefined ? 'none' : 'client_secret_basic')
    }
    if (this.#clientId === undefined) {
      throw optionError('clientId', `set for tokenEndpointAuthMethod '${name}'`, undefined)
    }
    return known.get(name)
  }

  /**
   * Signs a fresh assertion and exchanges it, through the renewal queue (never racing a renewal).
   * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
   */
  fetchToken(options: { signal?: AbortSignal } = {}): Promise<OAuth2Token> {
    return this.renewExclusive(
      (deadline, notAfter) => this.#exchange(deadline, notAfter, 'explicit'),
      options.signal,
    )
  }

  /**
   * Token endpoint, client id, grant type, scope and what the assertion asserts: issuer, subject,
   * audience and extra claims (docs/fleet.md).
   */
  protected override defaultStoreKey(): string {
    return deriveStoreKey({
      tokenEndpoint: this.#tokenEndpoint.href,
      clientId: this.#clientId,
      grantType: this.#grantType,
      scope: this.#scope,
      issuer: this.#issuer,
      subject: this.#subject,
      audience: this.#audience,
      claims: this.#claims,
    })
  }

  /** A configured client can always sign a new assertion. */
  protected override canRenew(): boolean {
    return true
  }

  /** A new assertion grant (RFC 7523 §2.1): the assertion client has no refresh token. */
  protected override async obtain(
    current: OAuth2Token | undefined,
    deadline: AbortSignal,
    notAfter: number,
    trigger: RenewalTrigger,
  ): Promise<ObtainedToken> {
    return {
      token: await this.#exchange(deadline, notAfter, renewalReason(trigger, current !== undefined, false)),
    }
  }

  /**
   * RFC 7521 §4.1 / RFC 7523 §2.1: grant_type, assertion and scope, with client authentication
   * when configured. The assertion is signed inside `authenticate`, which runs for every attempt,
   * so a retried call (tokenRetries) carries a new assertion and jti, never a replayed one. The
   * call is traced on the token-request channel with `reason` (docs/observability.md).
   */
  async #exchange(
    deadline: AbortSignal,
    notAfter: number | undefined,
    reason: TokenRequestReason,
  ): Promise<OAuth2Token> {
    const describe = () => ({
      ...this.describeClient(),
      grantType: this.#grantType,
      reason,
      endpoint: this.#tokenEndpoint,
    })
    // RFC 9449 §5: with a DPoP key, each attempt carries a proof; §8's nonce error is repeated once.
    const dpop = this.dpop?.endpoint(this.#tokenEndpoint, 'POST')
    const send = () =>
      this.callEndpoint({
        label: 'token endpoint',
        url: this.#tokenEndpoint,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: this.#grantType }),
        authenticate: async ({ url, headers, body }) => {
          body!.set('assertion', await this.#sign())
          appendParams(body!, { scope: this.#scope })
          await this.#authMethod?.authenticate(
            { method: 'POST', url, headers, body: body! },
            { clientId: this.#clientId, clientSecret: this.#clientSecret },
          )
          dpop?.prove({ url, headers, body })
        },
        ...(dpop === undefined ? {} : { repeatOnce: dpop.repeatOnce }),
        signal: deadline,
        notAfter,
        failure: endpointError,
        secrets: this.secrets(),
      })
    const token = await traceTokenRequest(describe, send, ({ response, sentAt, sent }) =>
      parseTokenResponse(response, sentAt, [...sent, ...this.secrets()], this.acceptedTokenTypes),
    )
    this.storeToken(token)
    return token
  }

  /** One assertion; signAssertion gives each a fresh jti and iat. */
  #sign(): Promise<string> {
    return signAssertion({
      issuer: this.#issuer,
      subject: this.#subject,
      audience: this.#audience,
      key: this.#key,
      alg: this.#alg,
      kid: this.#kid,
      claims: this.#claims,
      headers: this.#header,
      expiresIn: this.#expiresIn,
    })
  }

  protected override get clientId(): string | undefined {
    return this.#clientId
  }

  protected override secrets(): (string | undefined)[] {
    return [
      this.#keySecret,
      typeof this.#clientSecret === 'string' ? this.#clientSecret : undefined,
      ...super.secrets(),
    ]
  }

  /** What inspect and JSON show: endpoints and claims' names, never the key, the secret or an assertion. */
  protected override describe(): Record<string, unknown> {
    return {
      ...super.describe(),
      tokenEndpoint: this.#tokenEndpoint.href,
      grantType: this.#grantType,
      issuer: this.#issuer,
      audience: this.#audience,
      subject: this.#subject,
      alg: this.#alg,
      kid: this.#kid,
      key: `[${this.#key.key.type} key]`,
      clientId: this.#clientId,
      tokenEndpointAuthMethod: this.#authMethod?.name,
    }
  }
}
