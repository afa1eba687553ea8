/**
 * Every call to an OAuth endpoint goes through here: the RFC 6749 §3.2 token endpoint (grants,
 * refresh), RFC 7009 revocation, RFC 7662 introspection, the RFC 8414 §3 metadata document, the
 * RFC 7523 §2.1 assertion grant and the RFC 5849 §2.1/§2.3 credentials requests, with a DPoP
 * proof and its single nonce repeat where the caller asks (RFC 9449 §5, §8).
 */
import type { Dispatcher } from 'undici'
import { sentSecrets } from '../redact.js'
import { MAX_OAUTH_BODY, readCappedText } from './body.js'
import type { EndpointResponse } from './endpoint-errors.js'
import type { RequestOptions } from './prepare.js'
import { sendWithRetries } from './retry.js'

/** What a session lends its endpoint calls: its pool, transport rule, retry count, lifetime and deadline. */
export interface EndpointTransport {
  /** Sends one attempt on the session's pool, without the session's credentials and following no redirect. */
  send(url: URL, options: RequestOptions): Promise<Dispatcher.ResponseData>
  /** Throws InsecureTransportError when credentials may not travel to `url`. */
  assertSecure(url: URL): void
  /** `tokenRetries`: retries of a transient failure. */
  retries: number
  /** Aborted when the session is destroyed: ends the waits between attempts. */
  lifetime: AbortSignal
  /** The session's deadline in ms: the default end of the retries. */
  timeout: number
}

/** One attempt, built afresh from the call: `authenticate` may change any of it. */
export interface EndpointAttempt {
  url: URL
  headers: Record<string, string>
  body: URLSearchParams | undefined
}

export interface EndpointCall {
  /** The endpoint's name in messages: 'token endpoint', 'revocation endpoint', ... */
  label: string
  url: URL
  /** Default POST; PUT and DELETE for RFC 7592 client management. */
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  headers?: Record<string, string>
  /** The form sent (application/x-www-form-urlencoded); none for a GET. */
  body?: URLSearchParams
  /** A JSON document sent instead of a form (RFC 7591 §3.1 registration, RFC 7592 §2.2 update). */
  json?: Record<string, unknown>
  /**
   * Adds the client's authentication to each attempt (RFC 6749 §2.3, RFC 7523 §2.2, an RFC 5849
   * §3 signature): it runs once per attempt, so a retry carries a new assertion or nonce.
   */
  authenticate?: (attempt: EndpointAttempt) => void | Promise<void>
  signal?: AbortSignal | undefined
  /** Epoch ms: no retry is started whose wait would end after it (default now + the session's timeout). */
  notAfter?: number | undefined
  /** Repeat only an attempt that provably never reached the server (a refresh-token grant). */
  onlyIfUnsent?: boolean
  /** False for a call that is never repeated (discovery); default true. */
  retry?: boolean
  /** False for a call that carries no credentials (discovery, whose issuer rule governs the scheme). */
  carriesCredentials?: boolean
  /** A status that means "not at this URL" (RFC 8414 §3's 404): returned with its body discarded. */
  absentStatus?: number
  /**
   * Sees every answer read (a DPoP nonce is learned from any, RFC 9449 §8); true sends the call
   * once more, built and authenticated afresh (RFC 9449 §8's `use_dpop_nonce`). A call is
   * repeated this way at most once, whatever the second answer says.
   */
  repeatOnce?: (response: EndpointResponse) => boolean
  /** Sees the answer before it is classified (a compliance hook may rewrite it). */
  review?: (response: EndpointResponse) => EndpointResponse | Promise<EndpointResponse>
  /**
   * The error a non-2xx answer stands for (RFC 6749 §5.2's endpointError). Without it non-2xx
   * answers are returned: RFC 5849 reports problems in its own format, whatever the status.
   */
  failure?: (
    response: EndpointResponse,
    label: string,
    secrets: readonly (string | undefined)[],
    endpoint: URL,
  ) => Error
  /** Secrets the client holds, redacted from the failure's message along with those sent. */
  secrets?: readonly (string | undefined)[]
}

export interface EndpointResult {
  response: EndpointResponse
  /** When the answered attempt was sent, epoch seconds: expires_at counts from it (RFC 6749 §5.1). */
  sentAt: number
  /** The secrets every attempt carried, as sent (see sentSecrets), for redacting the answer. */
  sent: string[]
}

const NO_FORM = new URLSearchParams()

/**
 * One endpoint call: the transport check, then attempts under the transient-failure policy (see
 * sendWithRetries), each built afresh and authenticated, then the answer read within the 1 MiB cap
 * and classified: a non-2xx status becomes `failure`'s error, naming the endpoint's URL.
 */
export async function callEndpoint(
  transport: EndpointTransport,
  call: EndpointCall,
): Promise<EndpointResult> {
  if (call.carriesCredentials !== false) transport.assertSecure(call.url)
  const method = call.method ?? 'POST'
  const json = call.json === undefined ? undefined : JSON.stringify(call.json)
  let sentAt = 0
  const sent: string[] = []
  const send = () =>
    sendWithRetries(
      async () => {
        const attempt: EndpointAttempt = {
          url: new URL(call.url),
          headers: { ...call.headers },
          body: call.body === undefined ? undefined : new URLSearchParams(call.body),
        }
        await call.authenticate?.(attempt)
        sent.push(...sentSecrets(attempt.headers, attempt.body ?? NO_FORM))
        sentAt = Date.now() / 1000
        return transport.send(attempt.url, {
          method,
          headers:
            json === undefined ? attempt.headers : { ...attempt.headers, 'content-type': 'application/json' },
          body: attempt.body?.toString() ?? json,
          signal: call.signal,
        })
      },
      {
        retries: call.retry === false ? 0 : transport.retries,
        onlyIfUnsent: call.onlyIfUnsent === true,
        signal: call.signal,
        lifetime: transport.lifetime,
        notAfter: call.notAfter ?? Date.now() + transport.timeout,
      },
    )
  let raw = await send()
  let headers = raw.headers as Record<string, string | string[]>
  if (raw.statusCode === call.absentStatus) {
    await raw.body.dump()
    return { response: { statusCode: raw.statusCode, headers, body: '' }, sentAt, sent }
  }
  let read: EndpointResponse = {
    statusCode: raw.statusCode,
    headers,
    body: await readCappedText(raw, MAX_OAUTH_BODY, call.label),
  }
  if (call.repeatOnce?.(read) === true) {
    raw = await send()
    headers = raw.headers as Record<string, string | string[]>
    read = {
      statusCode: raw.statusCode,
      headers,
      body: await readCappedText(raw, MAX_OAUTH_BODY, call.label),
    }
    call.repeatOnce(read)
  }
  const response = call.review === undefined ? read : await call.review(read)
  if (call.failure !== undefined && (response.statusCode < 200 || response.statusCode > 299)) {
    throw call.failure(response, call.label, [...sent, ...(call.secrets ?? [])], call.url)
  }
  return { response, sentAt, sent }
}
