import { inspect } from 'node:util'
import { Agent, type Dispatcher, EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch } from 'undici'
import { ClientClosedError } from './errors.js'
import { abandonable } from './http/abandonable.js'
import { closedSessionInterceptor, credentialsInterceptor } from './http/credentials-interceptor.js'
import { exchangeEndInterceptor } from './http/exchange-end.js'
import { type HeaderRecord, mergeHeaders } from './http/headers.js'
import { InFlight } from './http/in-flight.js'
import {
  checkKnownKeys,
  checkNonNegativeInteger,
  checkPositiveInteger,
  checkPositiveNumber,
  checkUrl,
  type OptionNames,
  optionError,
} from './http/options.js'
import {
  isReplayable,
  type Prepared,
  parseUrl,
  prepareRequest,
  type RequestOptions,
  TargetCache,
} from './http/prepare.js'
import type { PreparedRequest } from './http/prepared-request.js'
import {
  CrossOriginHops,
  redirectLocation,
  redirectOptions,
  stripCredentialHeaders,
  stripCredentialParams,
} from './http/redirect.js'
import type { RequestAbort } from './http/request-abort.js'
import { sendWithRetries } from './http/retry.js'
import { assertSecureTransport } from './http/transport.js'

export { RequestTimeoutError } from './errors.js'
export type { RequestOptions } from './http/prepare.js'
export type { PreparedRequest } from './http/prepared-request.js'

export interface SessionOptions {
  /** Relative request URLs resolve against it. */
  baseUrl?: string | URL
  /** Default headers for every request. */
  headers?: Record<string, string>
  /** Whole-request deadline in ms, body included (default 30 000). */
  timeout?: number
  /** Connect deadline in ms (default 10 000). */
  connectTimeout?: number
  /** Maximum sockets per origin (default 64). */
  connections?: number
  /** Requests per socket in flight (default 1). */
  pipelining?: number
  /** Idle keep-alive socket lifetime in ms (undici's default when absent). */
  keepAliveTimeout?: number
  /** Redirects `request` follows (default 0). A hop to another origin never carries credentials. */
  maxRedirections?: number
  /** A proxy URL, or 'env' for HTTP_PROXY / HTTPS_PROXY / NO_PROXY. */
  proxy?: string | URL | 'env'
  /** Bring your own undici dispatcher; the session wraps it and never closes it. */
  dispatcher?: Dispatcher
  /** Allow credentials over http:// to hosts that are not loopback (default false). */
  allowInsecureTransport?: boolean
  /**
   * Retries of a token-endpoint call that failed transiently (429, 502, 503, 504, or a connection
   * that died before answering), with backoff inside the call's deadline (default 2; 0 disables).
   */
  tokenRetries?: number
}

/** The names SessionOptions has; a name outside its class's list is refused at construction. */
export const SESSION_OPTIONS: OptionNames<SessionOptions> = {
  baseUrl: true,
  headers: true,
  timeout: true,
  connectTimeout: true,
  connections: true,
  pipelining: true,
  keepAliveTimeout: true,
  maxRedirections: true,
  proxy: true,
  dispatcher: true,
  allowInsecureTransport: true,
  tokenRetries: true,
}

export type ResponseData = Dispatcher.ResponseData

/** One attempt of a token-endpoint call; `url` when the attempt has its own (a signature in the query). */
export type EndpointAttempt = RequestOptions & { url?: URL }

/** Shared by every `get(url)` without options: read, never written. */
const NO_OPTIONS: RequestOptions = Object.freeze({})
const DEFAULT_TIMEOUT = 30_000
const DEFAULT_CONNECT_TIMEOUT = 10_000
const DEFAULT_CONNECTIONS = 64

/**
 * A Request as a URL and the init that rebuilds it (the caller's init winning): undici's fetch
 * takes only its own Request class, and Node's global Request (or another undici copy's) is not it.
 */
function requestParts(request: Request, init: RequestInit): [string, RequestInit] {
  return [
    request.url,
    {
      method: request.method,
      headers: request.headers,
      redirect: request.redirect,
      signal: request.signal,
      ...(request.body === null ? {} : { body: request.body, duplex: 'half' }),
      ...init,
    } as RequestInit,
  ]
}

function createDispatcher(options: SessionOptions): { base: Dispatcher; owned: Dispatcher | undefined } {
  if (options.dispatcher !== undefined) {
    if (typeof options.dispatcher?.dispatch !== 'function') {
      throw optionError('dispatcher', 'an undici Dispatcher', options.dispatcher)
    }
    if (options.proxy !== undefined)
      throw new TypeError('options `dispatcher` and `proxy` exclude each other')
    return { base: options.dispatcher, owned: undefined }
  }
  const keepAliveTimeout =
    options.keepAliveTimeout === undefined
      ? undefined
      : checkPositiveNumber('keepAliveTimeout', options.keepAliveTimeout, 0)
  const agentOptions: Agent.Options = {
    connections: checkPositiveInteger('connections', options.connections, DEFAULT_CONNECTIONS),
    pipelining: checkNonNegativeInteger('pipelining', options.pipelining, 1),
    connect: {
      timeout: checkPositiveNumber('connectTimeout', options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
    },
    ...(keepAliveTimeout === undefined ? {} : { keepAliveTimeout }),
  }
  let owned: Dispatcher
  if (options.proxy === undefined) owned = new Agent(agentOptions)
  else if (options.proxy === 'env') owned = new EnvHttpProxyAgent(agentOptions)
  else owned = new ProxyAgent({ ...agentOptions, uri: checkUrl('proxy', options.proxy)!.href })
  return { base: owned, owned }
}

/**
 * A pooled HTTP session on an undici Agent: keep-alive sockets per origin, a whole-request
 * deadline, and one credentials step (`authorize`) that every request passes through —
 * `request`, `fetch` and the `dispatcher` alike. The OAuth clients extend it.
 */
export class Session implements AsyncDisposable {
  /**
   * Every option name the class accepts: the constructor refuses any other (a typo would otherwise
   * be ignored). A subclass with options of its own replaces it with the full list.
   */
  protected static readonly optionNames: readonly string[] = Object.keys(SESSION_OPTIONS)
  readonly #baseUrl: URL | undefined
  readonly #targets: TargetCache
  readonly #headers: HeaderRecord
  readonly #timeout: number
  readonly #maxRedirections: number
  readonly #tokenRetries: number
  readonly #checkTransport: boolean
  /**
   * A proxy relays the session's http:// requests: http:// to a loopback host then travels in
   * clear to the proxy, so it is not secure transport (only https:// is).
   */
  readonly #proxied: boolean
  /** Aborted by destroy(): ends the waits between token-endpoint attempts. */
  readonly #lifetime = new AbortController()
  readonly #base: Dispatcher
  readonly #owned: Dispatcher | undefined
  readonly #dispatcher: Dispatcher
  /** Requests and fetches from their start until their body is done; close() waits for their answers. */
  readonly #inFlight = new InFlight()
  #closed = false
  #closing: Promise<void> | undefined
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

  constructor(options: SessionOptions = {}) {
    if (options === null || typeof options !== 'object') throw optionError('options', 'an object', options)
    checkKnownKeys(`${new.target.name} option`, options, new.target.optionNames)
    this.#baseUrl = checkUrl('baseUrl', options.baseUrl)
    this.#targets = new TargetCache(this.#baseUrl)
    if (options.headers !== undefined && (options.headers === null || typeof options.headers !== 'object')) {
      throw optionError('headers', 'an object of header names to strings', options.headers)
    }
    this.#headers = mergeHeaders({}, options.headers)
    this.#timeout = checkPositiveNumber('timeout', options.timeout, DEFAULT_TIMEOUT)
    this.#maxRedirections = checkNonNegativeInteger('maxRedirections', options.maxRedirections, 0)
    this.#tokenRetries = checkNonNegativeInteger('tokenRetries', options.tokenRetries, 2)
    if (options.allowInsecureTransport !== undefined && typeof options.allowInsecureTransport !== 'boolean') {
      throw optionError('allowInsecureTransport', 'a boolean', options.allowInsecureTransport)
    }
    // A session whose class adds no credentials has nothing to protect in transit.
    this.#checkTransport =
      options.allowInsecureTransport !== true && this.authorize !== Session.prototype.authorize
    const { base, owned } = createDispatcher(options)
    this.#base = base
    this.#owned = owned
    // EnvHttpProxyAgent relays http:// requests only when HTTP_PROXY (or http_proxy) is set.
    this.#proxied =
      options.proxy === 'env'
        ? Boolean(process.env.http_proxy || process.env.HTTP_PROXY)
        : options.proxy !== undefined
    // The last interceptor runs first: a closed session refuses before any credentials step.
    this.#dispatcher = base.compose(
      credentialsInterceptor(this.#credentialsStep, { hops: new CrossOriginHops(this.#timeout) }),
      closedSessionInterceptor(() => this.#closed),
    )
  }

  #assertSecure(request: Prepared): void {
    if (request.secure && !(this.#proxied && !request.origin.startsWith('https:'))) return
    assertSecureTransport(request.url, this.#proxied)
  }

  /** Throws InsecureTransportError when credentials may not travel to `url` (an endpoint call's). */
  protected assertSecureUrl(url: URL): void {
    if (this.#checkTransport) assertSecureTransport(url, this.#proxied)
  }

  /**
   * The credentials step: adds this client's credentials to a request (a header, a query
   * parameter, a signature). It runs for `request`, `fetch` and `dispatcher` alike, and only for
   * requests that carry credentials. Return nothing when no I/O is needed (the fast path), or a
   * promise when it must wait (a token refresh). The session stops waiting for that promise by
   * itself when the request's deadline passes or its caller gives up (no AbortSignal is handed
   * over: building one per request would cost more than the rest of the fast path). Session itself
   * adds nothing.
   */
  protected authorize(_request: PreparedRequest): void | Promise<void> {}

  /**
   * Called when a request that carried credentials answered 401 and its body can be sent again.
   * Resolve true to send it once more (with fresh credentials). Session never retries.
   */
  protected onUnauthorized(
    _request: PreparedRequest,
    _response: ResponseData,
    _signal: AbortSignal,
  ): boolean | Promise<boolean> {
    return false
  }

  /** True once close() or destroy() was called. */
  get closed(): boolean {
    return this.#closed
  }

  /** The session's whole-request deadline in ms. */
  protected get timeout(): number {
    return this.#timeout
  }

  /** Whether credentials may go only over https:// or to loopback hosts (no allowInsecureTransport). */
  protected get checksTransport(): boolean {
    return this.#checkTransport
  }

  /** An undici Dispatcher that adds this session's credentials: for undici.request, fetch, setGlobalDispatcher. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher
  }

  request(url: string | URL, options: RequestOptions = {}): Promise<ResponseData> {
    return this.#request(url, options, undefined, this.#maxRedirections, true)
  }

  get(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'GET', this.#maxRedirections, true)
  }

  post(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'POST', this.#maxRedirections, true)
  }

  put(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'PUT', this.#maxRedirections, true)
  }

  patch(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'PATCH', this.#maxRedirections, true)
  }

  delete(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'DELETE', this.#maxRedirections, true)
  }

  head(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'HEAD', this.#maxRedirections, true)
  }

  options(url: string | URL, options?: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options ?? NO_OPTIONS, 'OPTIONS', this.#maxRedirections, true)
  }

  /**
   * A request that carries no client credentials and follows no redirects, on the same pool and
   * deadline: for token, revocation and introspection endpoint calls, whose own authentication
   * the caller puts in `options`.
   */
  protected requestWithoutCredentials(url: string | URL, options: RequestOptions): Promise<ResponseData> {
    return this.#request(url, options, undefined, 0, false)
  }

  /**
   * A token-endpoint call (no session credentials, no redirects) under the transient-failure
   * policy of `tokenRetries`: `build` makes the request afresh for each attempt. `notAfter`
   * (epoch ms, default now + timeout) bounds the waits between attempts; `onlyIfUnsent` allows a
   * repeat only when nothing reached the server (refresh-token grants).
   */
  protected requestToEndpoint(
    url: URL,
    build: () => EndpointAttempt | Promise<EndpointAttempt>,
    options: { signal?: AbortSignal | undefined; onlyIfUnsent?: boolean; notAfter?: number } = {},
  ): Promise<ResponseData> {
    return sendWithRetries(
      async () => {
        const { url: attemptUrl, ...attempt } = await build()
        return this.requestWithoutCredentials(attemptUrl ?? url, { ...attempt, signal: options.signal })
      },
      {
        retries: this.#tokenRetries,
        onlyIfUnsent: options.onlyIfUnsent === true,
        signal: options.signal,
        lifetime: this.#lifetime.signal,
        notAfter: options.notAfter ?? Date.now() + this.#timeout,
      },
    )
  }

  /**
   * WHATWG fetch (undici's own, on this session's pool) with this session's credentials, under the
   * session's deadline (body included) like `request`: past it, fetch and the body reject with
   * RequestTimeoutError. `init.signal` (or a Request's own) aborts it too.
   */
  fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    let url: string
    let options = init
    try {
      if (typeof input === 'string' || input instanceof URL) url = parseUrl(input, this.#baseUrl).href
      else [url, options] = requestParts(input, init)
    } catch (err) {
      return Promise.reject(err)
    }
    const callerSignal = options.signal ?? undefined
    if (callerSignal?.aborted) return Promise.reject(callerSignal.reason)
    // Credentials stay with the origin first asked for: fetch follows redirects by itself.
    const origin = new URL(url).origin
    // fetch hands even a string body to the dispatcher as a stream; its text lets OAuth 1 sign it.
    const body = options.body
    const bodyText =
      typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : undefined
    // No AbortSignal.timeout or AbortSignal.any per call: the session's sweep keeps the deadline,
    // and a caller signal is followed until the fetch ends (AbortSignal.any kept ~60 bytes per
    // fetch on a long-lived signal for good on Node 20).
    // close() waits for it as for a request: it may still wait for a token before it is sent.
    const abort = this.#inFlight.start(this.#timeout, callerSignal)
    // The fetch ends when its promise has settled and every exchange it made (one per redirect
    // hop) has ended, the last one with its body read to the end or aborted.
    let exchanges = 0
    let answered = false
    const dispatcher = this.#base.compose(
      credentialsInterceptor(this.#credentialsStep, {
        origin,
        ...(bodyText === undefined ? {} : { bodyText }),
      }),
      exchangeEndInterceptor(
        () => exchanges++,
        () => {
          if (--exchanges === 0 && answered) this.#inFlight.end(abort)
        },
      ),
    )
    return (
      undiciFetch(url, {
        ...(options as Parameters<typeof undiciFetch>[1]),
        signal: abort.signal,
        dispatcher,
      }) as unknown as Promise<Response>
    ).then(
      response => {
        this.#inFlight.answered()
        answered = true
        if (exchanges === 0) this.#inFlight.end(abort)
        return response
      },
      (err: unknown) => {
        throw this.#inFlight.failed(abort, err)
      },
    )
  }

  /**
   * Every request starts here. The fast path — credentials placed synchronously, an answer that
   * needs no redirect or 401 retry — is one undici call and one promise, with no async frame;
   * only redirects and 401 retries go to the async #exchange.
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
   * promise; only an answer that needs a redirect or a 401 retry goes on to the async #exchange.
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
              this.#exchange(
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
        resolve(this.#inFlight.delivered(abort, response))
      }
      try {
        this.#base.request(this.#dispatchOptions(request, abort), onResponse)
      } catch (err) {
        // undici reports its own errors through the callback; another Dispatcher may throw.
        reject(this.#inFlight.failed(abort, err))
      }
    })
  }

  #dispatchOptions(request: Prepared, abort: RequestAbort): Dispatcher.RequestOptions {
    return {
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body as Dispatcher.DispatchOptions['body'],
      signal: abort,
      // The session follows redirects itself (#exchange), keeping credentials on their origin: a
      // redirect-following dispatcher it was given must not replay them elsewhere.
      maxRedirections: 0,
    } as Dispatcher.RequestOptions
  }

  #settle(abort: RequestAbort, exchange: Promise<ResponseData>): Promise<ResponseData> {
    return exchange.then(
      response => this.#inFlight.delivered(abort, response),
      (err: unknown) => {
        throw this.#inFlight.failed(abort, err)
      },
    )
  }

  /** The slow path: from a first response that asks for it, follows redirects and one 401 retry. */
  async #exchange(
    url: string | URL,
    options: RequestOptions,
    method: string | undefined,
    credentials: boolean,
    redirectsLeft: number,
    abort: RequestAbort,
    request: Prepared,
    first: ResponseData,
  ): Promise<ResponseData> {
    const credentialOrigin = request.origin
    let retried = false
    let response: ResponseData | undefined = first
    for (;;) {
      const withCredentials = credentials && request.origin === credentialOrigin
      response ??= await this.#base.request(this.#dispatchOptions(request, abort))
      const status = response.statusCode
      if (status === 401 && withCredentials && !retried && isReplayable(request.body)) {
        if (!(await this.onUnauthorized(request, response, abort.signal))) return response
        retried = true
        await response.body.dump()
      } else if (redirectsLeft > 0 && status >= 300 && status < 400) {
        const location = redirectLocation(status, response.headers, request.url)
        if (location === undefined || !isReplayable(request.body)) return response
        await response.body.dump()
        redirectsLeft--
        url = location
        options = redirectOptions(status, request.method, options)
        method = undefined
      } else {
        return response
      }
      response = undefined
      request = prepareRequest(url, options, method, this.#targets, this.#baseUrl, this.#headers)
      if (request.origin !== credentialOrigin) {
        stripCredentialHeaders(request.headers)
        const path = stripCredentialParams(request.path)
        if (path !== request.path) request.url = new URL(`${request.origin}${path}`)
      } else if (credentials) {
        const pending = this.#credentialsStep(request)
        if (pending !== undefined) await abandonable(pending, abort)
      }
    }
  }

  /** Stops new requests, lets in-flight ones finish, then closes every socket the session owns. */
  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= this.#inFlight
      .close()
      .then(() => this.#owned?.close())
      .then(() => this.#inFlight.idle())
    return this.#closing
  }

  /** Aborts in-flight requests with `reason` and closes every socket the session owns. */
  async destroy(reason: Error = new ClientClosedError('the client was destroyed')): Promise<void> {
    this.#closed = true
    this.#lifetime.abort(reason)
    this.#inFlight.abortAll(reason)
    await this.#owned?.destroy(reason)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Non-secret fields shown by util.inspect and JSON.stringify; subclasses add theirs. */
  protected describe(): Record<string, unknown> {
    return { baseUrl: this.#baseUrl?.href, closed: this.#closed }
  }

  toJSON(): Record<string, unknown> {
    return this.describe()
  }

  [inspect.custom](_depth: number, options: object): string {
    return `${this.constructor.name} ${inspect(this.describe(), options)}`
  }
}
