/**
 * RFC 9110 client sessions. Over 350 lines, its class over 250: the request fast path (#request,
 * #dispatch, #settle) stays inside the class, where moved out every request would pay an
 * indirection, and every public method carries its TSDoc.
 */
import { performance } from 'node:perf_hooks'
import { inspect } from 'node:util'
import type { Dispatcher } from 'undici'
import { type DescribeClient, publishSessionClose } from './diagnostics/publish.js'
import { ClientClosedError } from './errors.js'
import { abandonable } from './http/abandonable.js'
import { closedSessionInterceptor, credentialsInterceptor } from './http/credentials-interceptor.js'
import { createDispatcher } from './http/dispatcher.js'
import {
  callEndpoint,
  type EndpointCall,
  type EndpointResult,
  type EndpointTransport,
} from './http/endpoint.js'
import { dispatchOptions, type ExchangeContext, exchange } from './http/exchange.js'
import type { HeaderRecord } from './http/headers.js'
import { InFlight } from './http/in-flight.js'
import { checkPositiveNumber } from './http/options.js'
import {
  isReplayable,
  type Prepared,
  prepareRequest,
  type RequestOptions,
  TargetCache,
} from './http/prepare.js'
import type { PreparedRequest } from './http/prepared-request.js'
import { CrossOriginHops } from './http/redirect.js'
import type { RequestAbort } from './http/request-abort.js'
import { type FetchContext, sessionFetch } from './http/session-fetch.js'
import { readSessionOptions, SESSION_OPTIONS, type SessionOptions } from './http/session-options.js'
import { assertSecureTransport } from './http/transport.js'

export { RequestTimeoutError } from './errors.js'
export type { RequestOptions } from './http/prepare.js'
export type { PreparedRequest } from './http/prepared-request.js'
export { SESSION_OPTIONS, type SessionOptions } from './http/session-options.js'

/** What `request()` and its shortcuts resolve to: undici's `ResponseData` (`statusCode`, `headers`, `body`). */
export type ResponseData = Dispatcher.ResponseData

/** Shared by every `get(url)` without options: read, never written. */
const NO_OPTIONS: RequestOptions = Object.freeze({})
/**
 * A pooled HTTP session on an undici Agent: keep-alive sockets per origin, a whole-request
 * deadline, and one credentials step (`authorize`) that every request passes through —
 * `request`, `fetch` and the `dispatcher` alike. The OAuth clients extend it.
 * @example
 * ```ts
 * await using session = new Session({ baseUrl: 'https://api.example.com/v1/', timeout: 10_000 })
 * const { statusCode, body } = await session.get('users', { query: { page: 2 } })
 * console.log(statusCode, await body.json())
 * // leaving the block closes every socket the session opened
 * ```
 */
export class Session implements AsyncDisposable {
  /**
   * Every option name the class accepts: the constructor refuses any other (a typo would otherwise
   * be ignored). A subclass with options of its own replaces it with the full list.
   * @see docs/oauth2.md#strict-options
   */
  protected static readonly optionNames: readonly string[] = Object.keys(SESSION_OPTIONS)
  readonly #baseUrl: URL | undefined
  readonly #targets: TargetCache
  readonly #headers: HeaderRecord
  readonly #timeout: number
  readonly #maxRedirections: number
  readonly #checkTransport: boolean
  /** A proxy relays the session's http:// requests (see createDispatcher). */
  readonly #proxied: boolean
  /** Aborted by destroy(): ends the waits between token-endpoint attempts. */
  readonly #lifetime = new AbortController()
  readonly #base: Dispatcher
  readonly #owned: Dispatcher | undefined
  readonly #dispatcher: Dispatcher
  /** What fetch, the slow path and endpoint calls use of the session: built once, not per request. */
  readonly #fetchContext: FetchContext
  readonly #exchangeContext: ExchangeContext
  readonly #endpointTransport: EndpointTransport
  /** Requests and fetches from their start until their body is done; close() waits for their answers. */
  readonly #inFlight = new InFlight()
  #closed = false
  #closing: Promise<void> | undefined
  /** Who this session's diagnostics events are about, asked only when one is published. @see docs/observability.md */
  protected readonly describeClient: DescribeClient = () => ({
    clientType: this.constructor.name,
    clientId: this.clientId,
  })
  /**
   * The transport rule is checked before the credentials are made (no token is fetched for a
   * request that may not carry it) and again after the last hook that may rewrite the URL (the
   * protected_request compliance hook) has run.
   */
  readonly #credentialsStep = (request: Prepared): void | Promise<void> => {
    if (!this.#checkTransport) return this.authorize(request)
    this.#assertSecure(request)
    const pending = this.authorize(request)
    // Only a step that read the URL (a hook, the query placement) can have rewritten it.
    if (pending === undefined) return request.target === undefined ? this.#assertSecure(request) : undefined
    return pending.then(() => this.#assertSecure(request))
  }

  /** Checks `options` (an unknown name is refused) and builds the session's dispatcher. @see docs/sessions.md#sessions */
  constructor(options: SessionOptions = {}) {
    const settings = readSessionOptions(options, new.target.name, new.target.optionNames)
    this.#baseUrl = settings.baseUrl
    this.#targets = new TargetCache(this.#baseUrl)
    this.#headers = settings.headers
    this.#timeout = settings.timeout
    this.#maxRedirections = settings.maxRedirections
    // A session whose class adds no credentials has nothing to protect in transit.
    this.#checkTransport = !settings.allowInsecureTransport && this.authorize !== Session.prototype.authorize
    const { base, owned, proxied } = createDispatcher(options)
    this.#base = base
    this.#owned = owned
    this.#proxied = proxied
    // The last interceptor runs first: a closed session refuses before any credentials step.
    this.#dispatcher = base.compose(
      credentialsInterceptor(this.#credentialsStep, { hops: new CrossOriginHops(this.#timeout) }),
      closedSessionInterceptor(() => this.#closed),
    )
    this.#fetchContext = {
      base,
      baseUrl: this.#baseUrl,
      timeout: this.#timeout,
      inFlight: this.#inFlight,
      credentialsStep: this.#credentialsStep,
    }
    this.#exchangeContext = {
      base,
      prepare: (url, options, method) =>
        prepareRequest(url, options, method, this.#targets, this.#baseUrl, this.#headers),
      credentialsStep: this.#credentialsStep,
      onUnauthorized: (request, response, signal) => this.onUnauthorized(request, response, signal),
    }
    this.#endpointTransport = {
      send: (url, options) => this.#request(url, options, undefined, 0, false),
      assertSecure: url => {
        if (this.#checkTransport) assertSecureTransport(url, this.#proxied)
      },
      retries: settings.tokenRetries,
      lifetime: this.#lifetime.signal,
      timeout: this.#timeout,
    }
  }

  #assertSecure(request: Prepared): void {
    if (request.secure && !(this.#proxied && !request.origin.startsWith('https:'))) return
    assertSecureTransport(request.url, this.#proxied)
  }

  /**
   * The credentials step: adds this client's credentials to a request (a header, a query
   * parameter, a signature). It runs for `request`, `fetch` and `dispatcher` alike, and only for
   * requests that carry credentials. Return nothing when no I/O is needed (the fast path), or a
   * promise when it must wait (a token refresh). The session stops waiting for that promise by
   * itself when the request's deadline passes or its caller gives up (no AbortSignal is handed
   * over: building one per request would cost more than the rest of the fast path). Session itself
   * adds nothing.
   * @see docs/sessions.md#sessions
   */
  protected authorize(_request: PreparedRequest): void | Promise<void> {}

  /**
   * Called when a request that carried credentials answered 401 and its body can be sent again.
   * Resolve true to send it once more (with fresh credentials). Session never retries.
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
   */
  protected onUnauthorized(
    _request: PreparedRequest,
    _response: ResponseData,
    _signal: AbortSignal,
  ): boolean | Promise<boolean> {
    return false
  }

  /** True once close() or destroy() was called. @see docs/oauth2.md#closing */
  get closed(): boolean {
    return this.#closed
  }

  /** The session's whole-request deadline in ms. @see docs/sessions.md#sessions */
  protected get timeout(): number {
    return this.#timeout
  }

  /** Aborted by destroy(): ends waits of the session's own, such as a device-code poll's. */
  protected get lifetime(): AbortSignal {
    return this.#lifetime.signal
  }

  /**
   * Whether credentials may go only over https:// or to loopback hosts (no allowInsecureTransport).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.3
   */
  protected get checksTransport(): boolean {
    return this.#checkTransport
  }

  /** An undici Dispatcher that adds this session's credentials: for undici.request, fetch, setGlobalDispatcher. @see docs/sessions.md#sessions */
  get dispatcher(): Dispatcher {
    return this.#dispatcher
  }

  /** Sends a request with this session's credentials, with `options.method` (default GET). @see https://www.rfc-editor.org/rfc/rfc9110#section-9 */
  request(url: string | URL, options: RequestOptions = {}): Promise<ResponseData> {
    return this.#request(url, options, undefined, this.#maxRedirections, true)
  }

  /** A GET request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.1 */
  get(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'GET', this.#maxRedirections, true)
  }

  /** A POST request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.3 */
  post(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'POST', this.#maxRedirections, true)
  }

  /** A PUT request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.4 */
  put(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'PUT', this.#maxRedirections, true)
  }

  /** A PATCH request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc5789#section-2 */
  patch(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'PATCH', this.#maxRedirections, true)
  }

  /** A DELETE request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.5 */
  delete(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'DELETE', this.#maxRedirections, true)
  }

  /** A HEAD request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.2 */
  head(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'HEAD', this.#maxRedirections, true)
  }

  /** An OPTIONS request with this session's credentials. @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.7 */
  options(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'OPTIONS', this.#maxRedirections, true)
  }

  /**
   * A call to an OAuth endpoint (see callEndpoint) on the session's pool, without its credentials
   * and following no redirect, under its deadline, `tokenRetries` and lifetime: the only way the
   * clients talk to an endpoint.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
   */
  protected callEndpoint(call: EndpointCall): Promise<EndpointResult> {
    return callEndpoint(this.#endpointTransport, call)
  }

  /**
   * WHATWG fetch (undici's own, on this session's pool) with this session's credentials, under the
   * session's deadline (body included) like `request`: past it, fetch and the body reject with
   * RequestTimeoutError. `init.signal` (or a Request's own) aborts it too.
   * @see docs/sessions.md#sessions
   */
  fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    return sessionFetch(this.#fetchContext, input, init)
  }

  /**
   * Every request starts here. The fast path — credentials placed synchronously, an answer that
   * needs no redirect or 401 retry — is one undici call and one promise, with no async frame;
   * only redirects and 401 retries go to the async `exchange` (lib/http/exchange.ts).
   */
  #request(
    url: string | URL,
    options: RequestOptions,
    method: string | undefined,
    maxRedirections: number,
    credentials: boolean,
  ): Promise<ResponseData> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    const callerSignal = options.signal
    if (callerSignal?.aborted) return Promise.reject(callerSignal.reason)
    let timeout = this.#timeout
    let request: Prepared
    try {
      if (options.timeout !== undefined) timeout = checkPositiveNumber('timeout', options.timeout, 0)
      request = prepareRequest(url, options, method, this.#targets, this.#baseUrl, this.#headers)
    } catch (err) {
      return Promise.reject(err)
    }

    const abort = this.#inFlight.start(timeout, callerSignal)
    const withCredentials = credentials && options.withholdToken !== true
    let pending: void | Promise<void>
    try {
      pending = withCredentials ? this.#credentialsStep(request) : undefined
    } catch (err) {
      return Promise.reject(this.#inFlight.failed(abort, err))
    }
    // A credentials step that must wait (a token renewal) costs each waiter one abandonable wait and one
    // .then before the same dispatch as the fast path.
    if (pending !== undefined) {
      return abandonable(pending, abort).then(
        () => this.#dispatch(url, options, method, withCredentials, maxRedirections, abort, request),
        (err: unknown) => {
          throw this.#inFlight.failed(abort, err)
        },
      )
    }
    return this.#dispatch(url, options, method, withCredentials, maxRedirections, abort, request)
  }

  /**
   * Sends a request whose credentials are in place: one undici call (callback form) and one
   * promise; only an answer that needs a redirect or a 401 retry goes on to the async `exchange`.
   */
  #dispatch(
    url: string | URL,
    options: RequestOptions,
    method: string | undefined,
    withCredentials: boolean,
    maxRedirections: number,
    abort: RequestAbort,
    request: Prepared,
  ): Promise<ResponseData> {
    // undici's callback form: one promise per request (ours) instead of undici's plus a `.then`.
    return new Promise<ResponseData>((resolve, reject) => {
      const onResponse = (err: Error | null, response: ResponseData) => {
        if (err !== null) {
          reject(this.#inFlight.failed(abort, err))
          return
        }
        const status = response.statusCode
        if (
          (status === 401 && withCredentials && isReplayable(request.body)) ||
          (maxRedirections > 0 && status >= 300 && status < 400)
        ) {
          resolve(
            this.#settle(
              abort,
              exchange(
                this.#exchangeContext,
                url,
                options,
                method,
                withCredentials,
                maxRedirections,
                abort,
                request,
                response,
              ),
            ),
          )
          return
        }
        request.onAnswer?.(status, response.headers)
        resolve(this.#inFlight.delivered(abort, response))
      }
      try {
        this.#base.request(dispatchOptions(request, abort), onResponse)
      } catch (err) {
        // undici reports its own errors through the callback; another Dispatcher may throw.
        reject(this.#inFlight.failed(abort, err))
      }
    })
  }

  #settle(abort: RequestAbort, exchange: Promise<ResponseData>): Promise<ResponseData> {
    return exchange.then(
      response => this.#inFlight.delivered(abort, response),
      (err: unknown) => {
        throw this.#inFlight.failed(abort, err)
      },
    )
  }

  /** Stops new requests, lets in-flight ones finish, then closes every socket the session owns. @see docs/oauth2.md#closing */
  close(): Promise<void> {
    this.#closed = true
    if (this.#closing === undefined) {
      const started = performance.now()
      const inFlight = this.#inFlight.unanswered
      this.#closing = this.#inFlight
        .close()
        .then(() => this.#owned?.close())
        .then(() => {
          this.#inFlight.idle()
          publishSessionClose(this.describeClient, 'close', inFlight, performance.now() - started)
        })
    }
    return this.#closing
  }

  /** Aborts in-flight requests with `reason` and closes every socket the session owns. @see docs/oauth2.md#closing */
  async destroy(reason: Error = new ClientClosedError('the client was destroyed')): Promise<void> {
    const started = performance.now()
    const inFlight = this.#inFlight.unanswered
    this.#closed = true
    this.#lifetime.abort(reason)
    this.#inFlight.abortAll(reason)
    await this.#owned?.destroy(reason)
    publishSessionClose(this.describeClient, 'destroy', inFlight, performance.now() - started)
  }

  /**
   * The client identifier diagnostics events name (RFC 6749 §2.2): public by definition; a plain
   * Session has none. @see docs/observability.md
   */
  protected get clientId(): string | undefined {
    return undefined
  }

  /** close(), for `await using`. @see docs/oauth2.md#closing */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Non-secret fields shown by util.inspect and JSON.stringify; subclasses add theirs. @see docs/security.md#security */
  protected describe(): Record<string, unknown> {
    return { baseUrl: this.#baseUrl?.href, closed: this.#closed }
  }

  /** The non-secret fields of describe(), for JSON.stringify. @see docs/security.md#security */
  toJSON(): Record<string, unknown> {
    return this.describe()
  }

  /** The non-secret fields of describe(), for util.inspect. @see docs/security.md#security */
  [inspect.custom](_depth: number, options: object): string {
    return `${this.constructor.name} ${inspect(this.describe(), options)}`
  }
}
