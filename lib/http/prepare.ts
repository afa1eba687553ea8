import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { InvalidArgumentError } from '../errors.js'
import {
  type DispatchHeaders,
  firstHeader,
  type HeaderInput,
  type HeaderRecord,
  mergeHeaders,
  readDispatchHeaders,
} from './headers.js'
import type { PreparedRequest, RequestBody } from './prepared-request.js'
import { appendQuery } from './syntax.js'
import { isSecureTransport } from './transport.js'

export type QueryValue = string | number | boolean
export type QueryInput = Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams
export type FormInput = Record<string, string | readonly string[]> | URLSearchParams

/** The options of `request()` and its shortcuts (`get`, `post`, ...). */
export interface RequestOptions {
  /** Default 'GET'. @see https://www.rfc-editor.org/rfc/rfc9110#section-9 */
  method?: string
  /** Headers for this request, merged over the session's `headers`. @see https://www.rfc-editor.org/rfc/rfc9110#section-6.3 */
  headers?: HeaderInput
  /** Appended to any query string the URL already has (both kept, in that order). @see https://www.rfc-editor.org/rfc/rfc3986#section-3.4 */
  query?: QueryInput
  /** The request body as given: a string, bytes, a Readable or FormData. @see https://www.rfc-editor.org/rfc/rfc9110#section-6.4 */
  body?: RequestBody
  /** A JSON body; sets content-type application/json. @see https://www.rfc-editor.org/rfc/rfc8259 */
  json?: unknown
  /** An application/x-www-form-urlencoded body (OAuth 1 signs it). @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3 */
  form?: FormInput
  /** Aborts the request (and its body read). @see docs/sessions.md#sessions */
  signal?: AbortSignal
  /** Milliseconds; overrides the session's whole-request deadline. @see docs/sessions.md#sessions */
  timeout?: number
  /** Send this request without credentials. @see https://www.rfc-editor.org/rfc/rfc6750#section-2 */
  withholdToken?: boolean
}

const FORM_TYPE = 'application/x-www-form-urlencoded'

/** A fresh URLSearchParams (never the caller's own object, which credentials steps may extend). */
export function toSearchParams(input: QueryInput | FormInput): URLSearchParams {
  if (input instanceof URLSearchParams) return new URLSearchParams(input)
  const params = new URLSearchParams()
  for (const name in input) {
    const value = input[name]
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item))
    else params.append(name, String(value))
  }
  return params
}

/**
 * `url` against `baseUrl`. A string beginning with two slashes (or a slash and a backslash, which
 * WHATWG URL reads alike) is a scheme-relative URL that names a host of its own: with a base URL
 * it is refused, since a path built as `/${userInput}` must never change the origin.
 */
export function parseUrl(url: string | URL, baseUrl: URL | undefined): URL {
  if (baseUrl !== undefined && typeof url === 'string' && /^\s*[/\\]{2}/.test(url)) {
    throw new InvalidArgumentError(
      "a request URL that begins with '//' names another host than baseUrl's: pass an absolute URL or a path",
    )
  }
  return new URL(url, baseUrl)
}

/** Resolves the URL against `baseUrl` and appends `query` to the query string it already has. */
export function resolveUrl(url: string | URL, baseUrl: URL | undefined, query: QueryInput | undefined): URL {
  const resolved = parseUrl(url, baseUrl)
  if (query !== undefined) {
    const extra = toSearchParams(query).toString()
    if (extra !== '') appendQuery(resolved, extra)
  }
  return resolved
}

function isFormContentType(headers: HeaderRecord): boolean {
  const type = firstHeader(headers, 'content-type')
  return type?.toLowerCase().startsWith(FORM_TYPE) === true
}

/** Reads form parameters out of a string or bytes body labelled application/x-www-form-urlencoded. */
export function readForm(headers: HeaderRecord, body: unknown): URLSearchParams | undefined {
  if (!isFormContentType(headers)) return undefined
  if (typeof body === 'string') return new URLSearchParams(body)
  if (body instanceof Uint8Array)
    return new URLSearchParams(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
  return undefined
}

/** A body that can be sent a second time (after a redirect or a 401 retry). */
export function isReplayable(body: RequestBody): boolean {
  return !(body instanceof Readable)
}

/**
 * Where a request goes, from one real parse of its URL: what undici needs (origin, path) and what
 * the transport rule needs, without keeping a URL object per request.
 */
export interface Target {
  /** The whole URL, fragment included, as `new URL` serialises it. */
  href: string
  origin: string
  /** pathname + search: what undici sends. */
  path: string
  /** https:, or http: to a loopback host: credentials may travel without allowInsecureTransport. */
  secure: boolean
}

export function toTarget(url: URL): Target {
  return {
    href: url.href,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    secure: isSecureTransport(url),
  }
}

/** Distinct URLs a session remembers; past this the cache starts over (a crude, cheap bound). */
const TARGET_CACHE_SIZE = 256

/**
 * A session's cache from the URL a caller passes (string, or URL by its href) to its parsed
 * target. A WHATWG URL parse costs far more than a Map lookup (bench/README.md), and most programs ask
 * for the same few URLs again and again. The base URL is fixed per session, so it is no part of
 * the key.
 */
export class TargetCache {
  readonly #baseUrl: URL | undefined
  readonly #targets = new Map<string, Target>()

  constructor(baseUrl: URL | undefined) {
    this.#baseUrl = baseUrl
  }

  resolve(url: string | URL): Target {
    const key = typeof url === 'string' ? url : url.href
    let target = this.#targets.get(key)
    if (target === undefined) {
      target = toTarget(parseUrl(url, this.#baseUrl))
      if (this.#targets.size >= TARGET_CACHE_SIZE) this.#targets.clear()
      this.#targets.set(key, target)
    }
    return target
  }
}

/**
 * The PreparedRequest the session builds: `url` is only parsed into a URL object when a hook
 * reads it (OAuth 1 signing, the uri token placement, compliance hooks); the bearer header
 * placement never does, so the fast path sends from the cached target.
 */
export class Prepared implements PreparedRequest {
  method: string
  headers: HeaderRecord
  body: RequestBody
  form: URLSearchParams | undefined
  /**
   * Set by a credentials step that must see the answer (RFC 9449 §9: a resource's DPoP-Nonce).
   * True asks for the request once more with fresh credentials, which `request` does for a
   * replayable body, at most once; fetch and the dispatcher only report the answer.
   */
  onAnswer: ((statusCode: number, headers: IncomingHttpHeaders) => boolean) | undefined = undefined
  /** Called when `request` does send it once more for `onAnswer` (diagnostics name the repeat). */
  onRepeat: (() => void) | undefined = undefined
  readonly #target: Target
  #url: URL | undefined

  constructor(
    method: string,
    target: Target,
    headers: HeaderRecord,
    body: RequestBody,
    form: URLSearchParams | undefined,
  ) {
    this.method = method
    this.#target = target
    this.headers = headers
    this.body = body
    this.form = form
  }

  get url(): URL {
    this.#url ??= new URL(this.#target.href)
    return this.#url
  }

  set url(url: URL) {
    this.#url = url
  }

  /**
   * The parsed target the request was built from, while `url` has not been materialised (so
   * nothing can have changed it): per-URL work can be cached on it (OAuth 1 signing).
   */
  get target(): Target | undefined {
    return this.#url === undefined ? this.#target : undefined
  }

  get origin(): string {
    return this.#url === undefined ? this.#target.origin : this.#url.origin
  }

  get path(): string {
    return this.#url === undefined ? this.#target.path : `${this.#url.pathname}${this.#url.search}`
  }

  /** Whether credentials may travel to this URL without allowInsecureTransport. */
  get secure(): boolean {
    return this.#url === undefined ? this.#target.secure : isSecureTransport(this.#url)
  }
}

/**
 * Normalises `Session.request` arguments into the request the credentials step sees. `method`,
 * when given (upper case), wins over `options.method`: `get()` and friends pass theirs here
 * instead of copying the caller's options.
 */
export function prepareRequest(
  url: string | URL,
  options: RequestOptions,
  method: string | undefined,
  targets: TargetCache,
  baseUrl: URL | undefined,
  defaultHeaders: HeaderRecord,
): Prepared {
  const headers = mergeHeaders(defaultHeaders, options.headers)
  let body: RequestBody = options.body ?? null
  let form: URLSearchParams | undefined
  const bodies =
    (options.body != null ? 1 : 0) +
    (options.json !== undefined ? 1 : 0) +
    (options.form !== undefined ? 1 : 0)
  if (bodies > 1)
    throw new InvalidArgumentError('request options: give only one of `body`, `json` and `form`')
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] ??= 'application/json'
  } else if (options.form !== undefined) {
    form = toSearchParams(options.form)
    body = form.toString()
    headers['content-type'] = FORM_TYPE
  } else {
    form = readForm(headers, body)
  }
  return new Prepared(
    method ?? (options.method === undefined ? 'GET' : options.method.toUpperCase()),
    // A query makes the URL one of a kind: parsed afresh, not cached.
    options.query === undefined ? targets.resolve(url) : toTarget(resolveUrl(url, baseUrl, options.query)),
    headers,
    body,
    form,
  )
}

/** Builds the request the credentials step sees from undici dispatch options (interceptor path). */
export function prepareDispatch(
  url: URL,
  method: string,
  rawHeaders: DispatchHeaders,
  body: unknown,
): Prepared {
  const headers = readDispatchHeaders(rawHeaders)
  return new Prepared(
    method.toUpperCase(),
    toTarget(url),
    headers,
    (body ?? null) as RequestBody,
    readForm(headers, body),
  )
}
