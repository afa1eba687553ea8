import { Readable } from 'node:stream'
import {
  type DispatchHeaders,
  firstHeader,
  type HeaderInput,
  type HeaderRecord,
  mergeHeaders,
  readDispatchHeaders,
} from './headers.js'
import type { PreparedRequest, RequestBody } from './prepared-request.js'

export type QueryValue = string | number | boolean
export type QueryInput = Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams
export type FormInput = Record<string, string | readonly string[]> | URLSearchParams

export interface RequestOptions {
  /** Default 'GET'. */
  method?: string
  headers?: HeaderInput
  /** Appended to any query string the URL already has (both kept, in that order). */
  query?: QueryInput
  body?: RequestBody
  /** A JSON body; sets content-type application/json. */
  json?: unknown
  /** An application/x-www-form-urlencoded body (OAuth 1 signs it). */
  form?: FormInput
  signal?: AbortSignal
  /** Milliseconds; overrides the session's whole-request deadline. */
  timeout?: number
  /** Send this request without credentials. */
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

/** Resolves the URL against `baseUrl` and appends `query` to the query string it already has. */
export function resolveUrl(url: string | URL, baseUrl: URL | undefined, query: QueryInput | undefined): URL {
  const resolved = new URL(url, baseUrl)
  if (query !== undefined) {
    const extra = toSearchParams(query).toString()
    if (extra !== '')
      resolved.search = resolved.search === '' ? extra : `${resolved.search.slice(1)}&${extra}`
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

/** Normalises `Session.request` arguments into the request the credentials step sees. */
export function prepareRequest(
  url: string | URL,
  options: RequestOptions,
  baseUrl: URL | undefined,
  defaultHeaders: HeaderRecord,
): PreparedRequest {
  const headers = mergeHeaders(defaultHeaders, options.headers)
  let body: RequestBody = options.body ?? null
  let form: URLSearchParams | undefined
  const bodies =
    (options.body != null ? 1 : 0) +
    (options.json !== undefined ? 1 : 0) +
    (options.form !== undefined ? 1 : 0)
  if (bodies > 1) throw new TypeError('request options: give only one of `body`, `json` and `form`')
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
  return {
    method: options.method === undefined ? 'GET' : options.method.toUpperCase(),
    url: resolveUrl(url, baseUrl, options.query),
    headers,
    body,
    form,
  }
}

/** Builds the request the credentials step sees from undici dispatch options (interceptor path). */
export function prepareDispatch(
  origin: string | URL,
  path: string,
  method: string,
  rawHeaders: DispatchHeaders,
  body: unknown,
): PreparedRequest {
  const headers = readDispatchHeaders(rawHeaders)
  return {
    method: method.toUpperCase(),
    url: new URL(path, origin),
    headers,
    body: (body ?? null) as RequestBody,
    form: readForm(headers, body),
  }
}
