/**
 * The client-authenticated calls an OAuth2Client makes to its authorization server: the RFC 6749
 * §3.2 token endpoint, RFC 7009 revocation, RFC 7662 introspection and the endpoints of the
 * extensions, each authenticated by the configured method (RFC 6749 §2.3) and passed through the
 * compliance hooks, at the URL the metadata names (its RFC 8705 §5 mTLS alias when the client uses
 * mutual TLS), token requests with a DPoP proof when the client has a key (RFC 9449 §5). They
 * all go through lib/http/endpoint.ts; the wire messages are built and read by
 * the RFC-named modules beside this one.
 */
import type { TokenRequestReason } from '../diagnostics/channels.js'
import type { DescribeClient } from '../diagnostics/publish.js'
import { traceTokenRequest } from '../diagnostics/token-request.js'
import { InvalidOptionError } from '../errors.js'
import type { EndpointCall, EndpointResult } from '../http/endpoint.js'
import { endpointError } from '../http/endpoint-errors.js'
import { isTlsClientAuth } from './client-auth.js'
import type { ClientAuthMethod, ClientCredentials } from './client-auth-method.js'
import type { ComplianceHookRegistry } from './compliance-hooks.js'
import type { DpopSession } from './dpop-session.js'
import { type AuthorizationServerMetadata, endpointUrl } from './metadata.js'

export interface ClientEndpointCall {
  /** The endpoint's name in messages: 'token endpoint', 'revocation endpoint', ... */
  label: string
  /** The client option that configures the endpoint, named when no URL is known. */
  option: string
  /** The endpoint's metadata field (RFC 8414 §2), e.g. 'token_endpoint': where it is looked up. */
  field: string
  /** Whose client authentication applies: the token endpoint's (default) or revocation's. */
  auth?: 'token' | 'revocation'
  headers?: Record<string, string> | undefined
  signal?: AbortSignal | undefined
  /** Epoch ms: retries stop here (a renewal's deadline). */
  notAfter?: number | undefined
  /**
   * A single-use grant, a refresh token (RFC 6749 §6) or a device code (RFC 8628 §3.5): repeated
   * only when it provably never reached the server.
   */
  refresh?: boolean
  /** Non-2xx answers are returned for the caller to read (a device poll's RFC 8628 §3.5 answers). */
  returnFailures?: boolean
  /** The call carries a DPoP proof when the client has a key (RFC 9449 §5: token requests). */
  dpop?: boolean
  requestHook?: 'refresh_token_request' | 'revoke_token_request' | 'introspect_token_request'
  responseHook?: 'access_token_response' | 'refresh_token_response'
}

export interface ClientEndpointsSetup {
  /** The session's one endpoint path (Session.callEndpoint). */
  send: (call: EndpointCall) => Promise<EndpointResult>
  credentials: ClientCredentials
  /** The client's registry: registerClientAuthMethod may replace a method later. */
  authMethods: ReadonlyMap<string, ClientAuthMethod>
  /** The method names selected for the token endpoint (also introspection and the extensions) and for revocation. */
  selected: { token: string; revocation: string }
  hooks: ComplianceHookRegistry
  /** The secrets the client holds at the time of a call, redacted from failure messages. */
  secrets: () => (string | undefined)[]
  /** The metadata in use at the time of a call (discovery replaces it), explicit endpoints applied. */
  metadata: () => AuthorizationServerMetadata
  /** The endpoints given as options: called as given, never replaced by an mTLS alias. */
  explicitEndpoints: AuthorizationServerMetadata
  /**
   * RFC 8705 §3: the client asks for certificate-bound access tokens, so every endpoint call uses
   * mutual TLS and so the server's mTLS aliases, whatever the client authentication method.
   */
  certificateBoundTokens: boolean
  /** The client, as its token calls' diagnostics name it (docs/observability.md). */
  client: DescribeClient
  /** RFC 9449: the client's DPoP key and nonces; undefined without the `dpop` option. */
  dpop: DpopSession | undefined
}

/** What a call returns: the endpoint's answer and the values to redact from anything shown of it. */
export interface ClientEndpointResult extends EndpointResult {
  /** The secrets the request carried, as sent, and those the client holds. */
  redact: (string | undefined)[]
}

/** A call ready to send: its client authentication method, URL, headers and body, after the request hook. */
interface PreparedCall {
  methodName: string
  target: URL
  headers: Record<string, string>
  body: URLSearchParams
}

/** One authenticated POST per call; see ClientEndpointCall for what varies between endpoints. */
export class ClientEndpoints {
  readonly #setup: ClientEndpointsSetup

  constructor(setup: ClientEndpointsSetup) {
    this.#setup = setup
  }

  /** The client authentication method in use for token-endpoint calls. */
  get tokenAuthMethod(): string {
    return this.#setup.selected.token
  }

  /**
   * The URL of the call's endpoint: an explicit option as given, else the metadata's, its RFC 8705
   * §5 alias when the call uses mutual TLS (a TLS client auth method, or certificate-bound tokens).
   */
  #endpointUrl(call: ClientEndpointCall, methodName: string): string | undefined {
    const { explicitEndpoints, metadata, certificateBoundTokens } = this.#setup
    const explicit = explicitEndpoints[call.field]
    if (typeof explicit === 'string') return explicit
    return endpointUrl(metadata(), call.field, certificateBoundTokens || isTlsClientAuth(methodName))
  }

  /**
   * POSTs `body` to `url` (by default the endpoint `call.field` names) with the client's
   * authentication, the call's hooks, capped answer and deadline. A non-2xx answer rejects (RFC
   * 6749 §5.2's error, or one naming the endpoint).
   */
  async post(
    given: string | undefined,
    body: URLSearchParams,
    call: ClientEndpointCall,
  ): Promise<ClientEndpointResult> {
    return this.#send(await this.#prepare(given, body, call), call)
  }

  /**
   * A token-endpoint call (RFC 6749 §3.2) as post() makes it, traced on the token-request
   * TracingChannel with `reason` (docs/observability.md); `read` turns the answer into the
   * caller's value inside the trace, so an unusable answer fails the traced call.
   */
  async token<R>(
    given: string | undefined,
    body: URLSearchParams,
    call: ClientEndpointCall,
    reason: TokenRequestReason,
    read: (result: ClientEndpointResult) => R,
  ): Promise<R> {
    const prepared = await this.#prepare(given, body, call)
    return traceTokenRequest(
      () => ({
        ...this.#setup.client(),
        grantType: prepared.body.get('grant_type') ?? '',
        reason,
        endpoint: prepared.target,
      }),
      () => this.#send(prepared, call),
      read,
    )
  }

  /** The call's URL (an error when none is known) and headers, then its request hook. */
  async #prepare(
    given: string | undefined,
    body: URLSearchParams,
    call: ClientEndpointCall,
  ): Promise<PreparedCall> {
    const { selected, hooks } = this.#setup
    const methodName = call.auth === 'revocation' ? selected.revocation : selected.token
    const url = given ?? this.#endpointUrl(call, methodName)
    if (url === undefined) {
      throw new InvalidOptionError(
        `no ${call.label}: set the \`${call.option}\` option or use OAuth2Client.discover()`,
      )
    }
    const target = new URL(url)
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      ...call.headers,
    }
    if (call.requestHook === undefined || !hooks.has(call.requestHook)) {
      return { methodName, target, headers, body }
    }
    const hooked = await hooks.run(call.requestHook, { url: target.href, headers, body: body.toString() })
    return {
      methodName,
      target: new URL(hooked.url),
      headers: { ...hooked.headers },
      body: new URLSearchParams(hooked.body),
    }
  }

  async #send(prepared: PreparedCall, call: ClientEndpointCall): Promise<ClientEndpointResult> {
    const { send, credentials, authMethods, hooks, secrets } = this.#setup
    // The client's constructor checked that a method serves every selected name; none is ever removed.
    const method = authMethods.get(prepared.methodName)!
    const responseHook = call.responseHook
    const dpop = call.dpop === true ? this.#setup.dpop?.endpoint(prepared.target, 'POST') : undefined
    const result = await send({
      label: call.label,
      url: prepared.target,
      headers: prepared.headers,
      body: prepared.body,
      authenticate: async attempt => {
        await method.authenticate(
          { method: 'POST', url: attempt.url, headers: attempt.headers, body: attempt.body! },
          credentials,
        )
        dpop?.prove(attempt)
      },
      ...(dpop === undefined ? {} : { repeatOnce: dpop.repeatOnce }),
      signal: call.signal,
      notAfter: call.notAfter,
      onlyIfUnsent: call.refresh === true,
      ...(responseHook === undefined ? {} : { review: response => hooks.run(responseHook, response) }),
      ...(call.returnFailures === true ? {} : { failure: endpointError }),
      secrets: secrets(),
    })
    return { ...result, redact: [...result.sent, ...secrets()] }
  }
}
