/**
 * OAuth1Client (RFC 5849): the three-step credentials flow (§2) and a session whose every request
 * is signed (§3). Its class is over 250 lines: one public class for both, each verb with its TSDoc.
 */
import type { KeyObject } from 'node:crypto'
import {
  InvalidArgumentError,
  InvalidOptionError,
  MismatchingStateError,
  MissingTokenError,
  OAuthError,
} from '../errors.js'
import { firstHeader } from '../http/headers.js'
import { checkOneOf, checkString, checkUrl, optionError } from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import { Session } from '../session.js'
import {
  type CreateAuthorizationUrlParams,
  checkToken,
  type FetchAccessTokenParams,
  type FetchRequestTokenParams,
  OAUTH1_CLIENT_OPTIONS,
  type OAuth1ClientOptions,
} from './client-options.js'
import { assertRealm, SIGNATURE_TYPES, type SignatureType } from './placement.js'
import { signRequest } from './sign-request.js'
import {
  createSigner,
  SIGNATURE_METHODS,
  type SignatureMethod,
  type Signer,
  toRsaPrivateKey,
} from './signature.js'
import { type OAuth1Token, parseTokenAnswer } from './token-response.js'

export {
  type CreateAuthorizationUrlParams,
  type FetchAccessTokenParams,
  type FetchRequestTokenParams,
  OAUTH1_CLIENT_OPTIONS,
  type OAuth1ClientOptions,
} from './client-options.js'
export type { OAuth1Token } from './token-response.js'

interface TokenCall {
  url: string
  what: string
  token?: string | undefined
  tokenSecret?: string | undefined
  callback?: string | undefined
  verifier?: string | undefined
  realm?: string | undefined
  form?: URLSearchParams | undefined
  signal?: AbortSignal | undefined
}

/**
 * An OAuth 1.0a client (RFC 5849) that is also a pooled HTTP session: the three-legged flow
 * (`fetchRequestToken`, `createAuthorizationUrl`, `parseAuthorizationResponse`,
 * `fetchAccessToken`), and every request through `request`, `fetch` or `dispatcher` signed.
 * @example
 * ```ts
 * await using client = new OAuth1Client({
 *   clientId: 'consumer-key',
 *   clientSecret: 'consumer-secret',
 *   token: 'token',
 *   tokenSecret: 'token-secret',
 * })
 * const { statusCode, body } = await client.get('https://api.example.com/1.1/account', {
 *   query: { include_email: 'true' }, // query and form parameters are signed (RFC 5849 §3.4.1.3)
 * })
 * ```
 */
export class OAuth1Client extends Session {
  protected static override readonly optionNames: readonly string[] = Object.keys(OAUTH1_CLIENT_OPTIONS)
  readonly #clientId: string
  readonly #clientSecret: string | undefined
  readonly #rsaKey: KeyObject | undefined
  readonly #redirectUri: string | undefined
  readonly #signatureMethod: SignatureMethod
  readonly #signatureType: SignatureType
  readonly #forceIncludeBody: boolean
  readonly #realm: string | undefined
  readonly #baseUrl: URL | undefined
  #token: OAuth1Token | undefined
  /** Keyed with the current token secret; rebuilt whenever the token changes. */
  #signer: Signer

  /** Checks `options` and builds the signer once (an RSA key is imported here). @see https://www.rfc-editor.org/rfc/rfc5849#section-3.1 */
  constructor(options: OAuth1ClientOptions) {
    super(options)
    const clientId = checkString('clientId', options.clientId)
    if (clientId === undefined || clientId === '')
      throw optionError('clientId', 'a non-empty string', clientId)
    this.#clientId = clientId
    this.#clientSecret = checkString('clientSecret', options.clientSecret)
    this.#redirectUri = checkString('redirectUri', options.redirectUri)
    this.#signatureMethod = checkOneOf(
      'signatureMethod',
      options.signatureMethod,
      SIGNATURE_METHODS,
      'HMAC-SHA1',
    )
    this.#signatureType = checkOneOf('signatureType', options.signatureType, SIGNATURE_TYPES, 'header')
    if (options.forceIncludeBody !== undefined && typeof options.forceIncludeBody !== 'boolean') {
      throw optionError('forceIncludeBody', 'a boolean', options.forceIncludeBody)
    }
    this.#forceIncludeBody = options.forceIncludeBody === true
    this.#realm = checkString('realm', options.realm)
    if (this.#realm !== undefined) assertRealm(this.#realm)
    this.#baseUrl = checkUrl('baseUrl', options.baseUrl)
    // Parsed once: the RSA key object is shared by every signer this client builds.
    this.#rsaKey =
      this.#signatureMethod.startsWith('RSA-') && options.rsaKey !== undefined
        ? toRsaPrivateKey(options.rsaKey, this.#signatureMethod)
        : undefined
    const token = checkString('token', options.token)
    const tokenSecret = checkString('tokenSecret', options.tokenSecret)
    const verifier = checkString('verifier', options.verifier)
    this.#token =
      token === undefined
        ? undefined
        : {
            oauth_token: token,
            oauth_token_secret: tokenSecret ?? '',
            ...(verifier && { oauth_verifier: verifier }),
          }
    if (token === undefined && verifier !== undefined) {
      throw new InvalidOptionError('option `verifier` needs `token` (the temporary credentials it verifies)')
    }
    this.#signer = this.#createSigner(this.#token?.oauth_token_secret)
  }

  /**
   * The credentials requests are signed with; a copy, so changing it changes nothing here.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3
   */
  get token(): OAuth1Token | undefined {
    return this.#token === undefined ? undefined : { ...this.#token }
  }

  /**
   * Replaces the credentials (checked and copied) and rekeys the signer with their secret.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3
   */
  set token(value: OAuth1Token | undefined) {
    const token = checkToken(value)
    this.#signer = this.#createSigner(token?.oauth_token_secret)
    this.#token = token
  }

  /**
   * RFC 5849 §2.1: obtains temporary credentials, sending `oauth_callback` (the `redirectUri`
   * option, or "oob"). Extra parameters go in the signed form body. The answer becomes
   * `client.token`.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
   */
  async fetchRequestToken(url: string, params: FetchRequestTokenParams = {}): Promise<OAuth1Token> {
    const { realm, signal, ...extra } = params
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) continue
      if (name.startsWith('oauth_')) {
        throw new InvalidArgumentError(
          `fetchRequestToken: ${name} is a protocol parameter the client sets itself`,
        )
      }
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item))
    }
    const token = await this.#fetchToken({
      url,
      what: 'temporary credentials endpoint',
      // §2.1: "oob" when the client cannot receive callbacks.
      callback: this.#redirectUri ?? 'oob',
      realm: checkString('realm', realm),
      form: form.size > 0 ? form : undefined,
      signal,
    })
    this.token = token
    return this.token!
  }

  /**
   * RFC 5849 §2.2: the URL to send the resource owner to, with `oauth_token` after any extra
   * parameters. Needs temporary credentials: `requestToken`, or the ones this client holds.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2
   */
  createAuthorizationUrl(url: string, params: CreateAuthorizationUrlParams = {}): string {
    const { requestToken, ...extra } = params
    const token = checkString('requestToken', requestToken) ?? this.#token?.oauth_token
    if (token === undefined) {
      throw new MissingTokenError(
        'no temporary credentials: call fetchRequestToken() first or pass requestToken',
      )
    }
    const target = new URL(url, this.#baseUrl)
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) continue
      for (const item of Array.isArray(value) ? value : [value])
        target.searchParams.append(name, String(item))
    }
    target.searchParams.append('oauth_token', token)
    return target.href
  }

  /**
   * RFC 5849 §2.2: reads `oauth_token` and `oauth_verifier` from the callback URL and stores them
   * (keeping the token secret of the temporary credentials this client holds). A callback for
   * other temporary credentials than the ones held throws MismatchingStateError: the token plays
   * the part OAuth 2's `state` does, so a client that holds none (a new client serving the
   * callback) throws MissingTokenError until they are restored (`client.token = saved`): without
   * them any oauth_token would be accepted. A reported problem or denial throws OAuthError.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2
   */
  parseAuthorizationResponse(url: string): OAuth1Token {
    const query = new URL(url, 'http://callback.invalid/').searchParams
    const problem =
      query.get('oauth_problem') ?? query.get('error') ?? (query.has('denied') ? 'access_denied' : null)
    if (problem !== null) {
      throw new OAuthError(`authorization was not granted: ${problem}`, {
        error: problem,
        description: query.get('oauth_problem_advice') ?? query.get('error_description') ?? undefined,
      })
    }
    const oauthToken = query.get('oauth_token')
    const verifier = query.get('oauth_verifier')
    if (!oauthToken || !verifier) {
      throw new OAuthError(
        `authorization response must carry oauth_token and oauth_verifier; it has ${
          [oauthToken ? 'oauth_token' : '', verifier ? 'oauth_verifier' : ''].filter(Boolean).join(' and ') ||
          'neither'
        }`,
        { error: 'invalid_request' },
      )
    }
    const held = this.#token
    if (held === undefined) {
      throw new MissingTokenError(
        'no temporary credentials to check the callback against: restore the ones fetchRequestToken() returned first (client.token = saved)',
      )
    }
    if (held.oauth_token !== oauthToken) {
      throw new MismatchingStateError(
        'authorization response oauth_token differs from the temporary credentials this client holds',
      )
    }
    this.token = { ...held, oauth_verifier: verifier }
    return this.token!
  }

  /**
   * RFC 5849 §2.3: exchanges the temporary credentials and verifier for token credentials,
   * sending `oauth_verifier`. The answer becomes `client.token`.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3
   */
  async fetchAccessToken(url: string, params: FetchAccessTokenParams = {}): Promise<OAuth1Token> {
    const held = this.#token
    if (held === undefined) {
      throw new MissingTokenError(
        'no temporary credentials: call fetchRequestToken() and parseAuthorizationResponse() first',
      )
    }
    const verifier = checkString('verifier', params.verifier) ?? held.oauth_verifier
    if (verifier === undefined || verifier === '') {
      throw new OAuthError(
        'no oauth_verifier: pass { verifier } or call parseAuthorizationResponse() with the callback URL',
        { error: 'missing_verifier' },
      )
    }
    const token = await this.#fetchToken({
      url,
      what: 'token credentials endpoint',
      token: held.oauth_token,
      tokenSecret: held.oauth_token_secret,
      verifier,
      signal: params.signal,
    })
    this.token = token
    return this.token!
  }

  /** Signs every request that carries credentials (RFC 5849 §3); no I/O, so no promise. @see https://www.rfc-editor.org/rfc/rfc5849#section-3 */
  protected override authorize(request: PreparedRequest): void {
    signRequest(request, {
      clientId: this.#clientId,
      signer: this.#signer,
      signatureType: this.#signatureType,
      token: this.#token?.oauth_token,
      realm: this.#realm,
      forceIncludeBody: this.#forceIncludeBody,
      version: '1.0',
    })
  }

  protected override get clientId(): string | undefined {
    return this.#clientId
  }

  protected override describe(): Record<string, unknown> {
    return {
      ...super.describe(),
      clientId: this.#clientId,
      signatureMethod: this.#signatureMethod,
      signatureType: this.#signatureType,
      hasToken: this.#token !== undefined,
    }
  }

  #createSigner(tokenSecret: string | undefined): Signer {
    return createSigner(this.#signatureMethod, {
      clientSecret: this.#clientSecret,
      tokenSecret,
      rsaKey: this.#rsaKey,
    })
  }

  /**
   * A credentials request: a POST signed here with exactly the parameters its step needs
   * (`oauth_callback` or `oauth_verifier`), sent on the session's pool without the client's own
   * credentials step under the transient-failure policy (each attempt signed afresh, so a retry
   * carries a new nonce), and its answer read within the 1 MiB cap.
   */
  async #fetchToken(call: TokenCall): Promise<OAuth1Token> {
    const signer = this.#createSigner(call.tokenSecret)
    const { response } = await this.callEndpoint({
      label: call.what,
      url: new URL(call.url, this.#baseUrl),
      ...(call.form === undefined
        ? {}
        : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: call.form }),
      authenticate: attempt => {
        const request: PreparedRequest = {
          method: 'POST',
          url: attempt.url,
          headers: attempt.headers,
          body: attempt.body?.toString() ?? null,
          form: attempt.body,
        }
        signRequest(request, {
          clientId: this.#clientId,
          signer,
          signatureType: this.#signatureType,
          token: call.token,
          callback: call.callback,
          verifier: call.verifier,
          realm: call.realm ?? this.#realm,
          version: '1.0',
        })
        // The signature may go in the query or the form (RFC 5849 §3.5.2, §3.5.3).
        attempt.url = request.url
        attempt.body = request.form
      },
      signal: call.signal,
    })
    // What the request carried that a server may echo: both secrets, the verifier, and a PLAINTEXT
    // signature, which is the encoded secrets themselves (RFC 5849 §3.4.4).
    const sent = [this.#clientSecret, call.tokenSecret, call.verifier]
    if (!signer.needsBaseString) sent.push(signer.sign(''))
    return parseTokenAnswer(
      {
        statusCode: response.statusCode,
        contentType: firstHeader(response.headers, 'content-type'),
        body: response.body,
      },
      call.what,
      sent,
    )
  }
}
