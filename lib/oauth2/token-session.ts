import { ClientClosedError, MissingTokenError, OAuthError, TokenExpiredError } from '../errors.js'
import { MAX_OAUTH_BODY, readCappedText } from '../http/body.js'
import { checkFunction, checkOneOf, type OptionNames, optionError } from '../http/options.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import { sentSecrets } from '../redact.js'
import { type ResponseData, SESSION_OPTIONS, Session, type SessionOptions } from '../session.js'
import { RefreshQueue, type Renewal } from './refresh-queue.js'
import { type EndpointResponse, type OAuth2Token, renewalTime, toToken } from './token.js'
import { isInvalidTokenChallenge } from './www-authenticate.js'

export type TokenPlacement = 'header' | 'body' | 'uri'

/** Called after every automatic refresh or re-grant (and explicit refreshToken), awaited before waiters go on. */
export type UpdateToken = (
  token: OAuth2Token,
  context: { refreshToken?: string; accessToken?: string },
) => void | Promise<void>

export interface TokenSessionOptions extends SessionOptions {
  token?: OAuth2Token
  /** Where the access token goes on resource requests (RFC 6750 §2); default 'header'. */
  tokenPlacement?: TokenPlacement
  updateToken?: UpdateToken
  /** Seconds before expiry to renew (default 60; at most half the token's lifetime). */
  leeway?: number
}

export const TOKEN_SESSION_OPTIONS: OptionNames<TokenSessionOptions> = {
  ...SESSION_OPTIONS,
  token: true,
  tokenPlacement: true,
  updateToken: true,
  leeway: true,
}

/**
 * Epoch seconds reach 1e11 in the year 5138; epoch milliseconds passed it in 1973. An expires_at
 * above it is a millisecond value that would keep a token alive for millennia.
 */
const MAX_EPOCH_SECONDS = 1e11

const PLACEMENTS: readonly TokenPlacement[] = ['header', 'body', 'uri']

/**
 * A session that holds an OAuth 2.0 access token and puts it on every request (RFC 6750),
 * renewing it before it expires through one serialized, single-flight queue (docs/design.md "Token renewal").
 * OAuth2Client and AssertionClient differ only in how they renew.
 */
export abstract class TokenSession extends Session {
  readonly #placement: TokenPlacement
  readonly #updateToken: UpdateToken | undefined
  readonly #leeway: number
  readonly #renewals = new RefreshQueue<OAuth2Token>(() => this.timeout)
  #token: OAuth2Token | undefined
  /** Epoch ms after which the token is renewed before use; -Infinity without a token. */
  #renewAt = Number.NEGATIVE_INFINITY
  /** `Bearer <access_token>`, built once per token for the header placement. */
  #authorization = ''

  constructor(options: TokenSessionOptions) {
    super(options)
    this.#placement = checkOneOf('tokenPlacement', options.tokenPlacement, PLACEMENTS, 'header')
    this.#updateToken = checkFunction<UpdateToken>('updateToken', options.updateToken)
    if (options.leeway !== undefined && (typeof options.leeway !== 'number' || !(options.leeway >= 0))) {
      throw optionError('leeway', 'a non-negative number of seconds', options.leeway)
    }
    this.#leeway = options.leeway ?? 60
    if (options.token !== undefined) this.token = options.token
  }

  get token(): OAuth2Token | undefined {
    return this.#token
  }

  /** Sets the token (copied; expires_at computed from expires_in when absent). */
  set token(value: OAuth2Token | undefined) {
    if (value === undefined) {
      this.#token = undefined
      this.#renewAt = Number.NEGATIVE_INFINITY
      return
    }
    if (value === null || typeof value !== 'object')
      throw optionError('token', 'an OAuth2Token object', value)
    const expiresAt = Number(value.expires_at)
    if (expiresAt > MAX_EPOCH_SECONDS) {
      throw new TypeError(
        `token.expires_at must be in seconds since the epoch, got ${expiresAt}, which looks like milliseconds: divide it by 1000`,
      )
    }
    this.storeToken(
      toToken(value, Date.now() / 1000, reason => {
        throw new TypeError(`token: ${reason}`)
      }),
    )
  }

  /**
   * True when there is no token or it is due for renewal by this client's own rule (`leeway`
   * seconds before expiry, at most half its lifetime early): the moment the next request renews it.
   */
  get tokenExpired(): boolean {
    return Date.now() >= this.#renewAt
  }

  protected storeToken(token: OAuth2Token): void {
    this.#token = token
    this.#renewAt = renewalTime(token, this.#leeway)
    this.#authorization = `Bearer ${token.access_token}`
  }

  /** Awaits the user's updateToken, so a persisted token is never older than the one in use. */
  protected async announceToken(
    token: OAuth2Token,
    context: { refreshToken?: string; accessToken?: string },
  ): Promise<void> {
    await this.#updateToken?.(token, context)
  }

  /** Whether renew() has any means to get a new token. */
  protected abstract canRenew(): boolean

  /**
   * Gets, stores, announces and returns a new token; runs inside the queue, one at a time.
   * `current` is the token in use (undefined when there is none yet).
   */
  protected abstract renew(
    current: OAuth2Token | undefined,
    deadline: AbortSignal,
    notAfter: number,
  ): Promise<OAuth2Token>

  /** The current token, renewed first (shared with every concurrent caller) when it is about to expire. */
  ensureActiveToken(signal?: AbortSignal): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#activeToken(signal)
  }

  /** ensureActiveToken for requests already under way: close() lets them finish. */
  #activeToken(signal?: AbortSignal): Promise<OAuth2Token> {
    const token = this.#token
    if (token !== undefined && Date.now() < this.#renewAt) return Promise.resolve(token)
    return this.#renewShared(token?.access_token, signal)
  }

  /** Runs an explicit renewal of its own through the queue, after any renewal in progress. */
  protected renewExclusive(renewal: Renewal<OAuth2Token>, signal?: AbortSignal): Promise<OAuth2Token> {
    if (this.closed) return Promise.reject(new ClientClosedError())
    return this.#renewals.exclusive(renewal, signal)
  }

  /**
   * Joins or starts the shared renewal of the token whose access token was `stale`. Inside the
   * queue it re-checks first: if another renewal already replaced that token, it does nothing.
   */
  #renewShared(stale: string | undefined, signal: AbortSignal | undefined): Promise<OAuth2Token> {
    return this.#renewals.shared((deadline, notAfter) => {
      const current = this.#token
      if (current !== undefined && current.access_token !== stale && Date.now() < this.#renewAt) {
        return Promise.resolve(current)
      }
      if (!this.canRenew()) {
        return Promise.reject(current === undefined ? new MissingTokenError() : new TokenExpiredError())
      }
      return this.renew(current, deadline, notAfter)
    }, signal)
  }

  /** Puts the access token where `tokenPlacement` says (RFC 6750 §2.1-2.3). */
  protected override authorize(request: PreparedRequest): void | Promise<void> {
    const token = this.#token
    // The fast path: a fresh token is placed synchronously, with no promise at all. A waiting
    // request is abandoned by the session itself at its deadline; the shared renewal goes on.
    if (token !== undefined && Date.now() < this.#renewAt) return this.#place(request, token)
    return this.#activeToken().then(fresh => this.#place(request, fresh))
  }

  #place(request: PreparedRequest, token: OAuth2Token): void | Promise<void> {
    if (this.#placement === 'header') {
      request.headers.authorization = this.#authorization
    } else if (this.#placement === 'uri') {
      const param = `access_token=${encodeURIComponent(token.access_token)}`
      request.url.search = request.url.search === '' ? param : `${request.url.search.slice(1)}&${param}`
    } else {
      // RFC 6750 §2.2: only in a single-part form-encoded body of a method that has a body.
      if (request.form === undefined || request.method === 'GET' || request.method === 'HEAD') {
        throw new OAuthError(
          `tokenPlacement 'body' needs a form body and a method other than GET (RFC 6750 §2.2), got ${request.method}`,
          { error: 'invalid_request' },
        )
      }
      request.form.append('access_token', token.access_token)
      request.body = request.form.toString()
    }
    return this.afterPlacement(request)
  }

  /** A last look at a request after the token is placed (OAuth2Client's protected_request hook). */
  protected afterPlacement(_request: PreparedRequest): void | Promise<void> {}

  /** RFC 6750 §3.1: a Bearer `invalid_token` challenge gets one shared renewal and one retry. */
  protected override async onUnauthorized(
    request: PreparedRequest,
    response: ResponseData,
    signal: AbortSignal,
  ): Promise<boolean> {
    if (!isInvalidTokenChallenge(response.headers['www-authenticate']) || !this.canRenew()) return false
    const used = this.#accessTokenIn(request)
    if (used === undefined) return false
    await this.#renewShared(used, signal)
    return true
  }

  #accessTokenIn(request: PreparedRequest): string | undefined {
    if (this.#placement === 'header') {
      const value = request.headers.authorization
      return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice(7) : undefined
    }
    if (this.#placement === 'uri') return request.url.searchParams.get('access_token') ?? undefined
    return request.form?.get('access_token') ?? undefined
  }

  /**
   * POSTs a form to an OAuth endpoint on the session's pool, without the session's credentials
   * (the caller puts the client's own in `headers`/`body`, or in `authenticate`, which runs on a
   * fresh copy for every attempt so each carries a new client assertion), under the
   * transient-failure policy (`tokenRetries`, at most until `notAfter`), and reads the answer
   * capped at 1 MiB. Returns when the answered attempt was sent (epoch seconds), from which
   * expires_at is computed, and `sent`: the secrets every attempt carried, as sent (its
   * Authorization credentials and form values, see sentSecrets), for redacting the answer.
   */
  protected async postToEndpoint(
    url: URL,
    headers: Record<string, string>,
    body: URLSearchParams,
    signal: AbortSignal | undefined,
    what: string,
    options: {
      notAfter?: number
      onlyIfUnsent?: boolean
      authenticate?: (headers: Record<string, string>, body: URLSearchParams) => void | Promise<void>
    } = {},
  ): Promise<{ response: EndpointResponse; sentAt: number; sent: string[] }> {
    this.assertSecureUrl(url)
    let sentAt = 0
    const sent: string[] = []
    const raw = await this.requestToEndpoint(
      url,
      async () => {
        const attemptHeaders = { ...headers }
        const attemptBody = new URLSearchParams(body)
        await options.authenticate?.(attemptHeaders, attemptBody)
        sent.push(...sentSecrets(attemptHeaders, attemptBody))
        sentAt = Date.now() / 1000
        return { method: 'POST', headers: attemptHeaders, body: attemptBody.toString() }
      },
      { signal, notAfter: options.notAfter, onlyIfUnsent: options.onlyIfUnsent === true },
    )
    return { response: await this.readEndpointResponse(raw, what), sentAt, sent }
  }

  protected async readEndpointResponse(raw: ResponseData, what: string): Promise<EndpointResponse> {
    const body = await readCappedText(raw, MAX_OAUTH_BODY, what)
    return { statusCode: raw.statusCode, headers: raw.headers as Record<string, string | string[]>, body }
  }

  /** Token values never to show in an error excerpt; subclasses add their own secrets. */
  protected secrets(): (string | undefined)[] {
    return [this.#token?.access_token, this.#token?.refresh_token]
  }

  protected override describe(): Record<string, unknown> {
    const token = this.#token
    return {
      ...super.describe(),
      tokenPlacement: this.#placement,
      token:
        token === undefined
          ? undefined
          : {
              access_token: '[redacted]',
              token_type: token.token_type,
              expires_at: token.expires_at,
              scope: token.scope,
              refresh_token: token.refresh_token === undefined ? undefined : '[redacted]',
            },
    }
  }
}
