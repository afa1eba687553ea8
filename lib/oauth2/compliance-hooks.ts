/** Compliance hooks: where a client adapts requests and answers to a provider that bends RFC 6749. */
import { InvalidArgumentError } from '../errors.js'
import type { EndpointResponse } from '../http/endpoint-errors.js'
import type { PreparedRequest } from '../http/prepared-request.js'

/** What a request hook sees and returns: the request as it will be sent. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
export interface HookRequest {
  /** The request URL; a hook may point it elsewhere. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
  url: string
  /** The request headers, as sent. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
  headers: Record<string, string>
  /** The body as text (empty for a request without one). @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
  body: string
}

/** Rewrites a request before it is sent: returns the request to send. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
export type RequestHook = (request: HookRequest) => HookRequest | Promise<HookRequest>
/** Rewrites an endpoint's answer before it is parsed: returns the answer to parse. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
export type ResponseHook = (response: EndpointResponse) => EndpointResponse | Promise<EndpointResponse>

/**
 * The compliance hooks (Authlib's names) that adapt the client to providers that bend the spec:
 * response hooks rewrite an endpoint's answer before it is parsed, request hooks rewrite a request
 * before client authentication (or, for protected_request, after the token is placed).
 * @see docs/oauth2.md#compliance-hooks-for-non-standard-providers
 */
export interface ComplianceHooks {
  /** The token endpoint's answer to fetchToken and automatic grants. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
  access_token_response: ResponseHook
  /** The token endpoint's answer to a refresh. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  refresh_token_response: ResponseHook
  /** A refresh request, before client authentication. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  refresh_token_request: RequestHook
  /** A revocation request, before client authentication. @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1 */
  revoke_token_request: RequestHook
  /** An introspection request, before client authentication. @see https://www.rfc-editor.org/rfc/rfc7662#section-2.1 */
  introspect_token_request: RequestHook
  /** A resource request, after the access token is placed. @see https://www.rfc-editor.org/rfc/rfc6750#section-2 */
  protected_request: RequestHook
}

/** The name of a compliance hook, as registerComplianceHook takes it. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
export type ComplianceHookName = keyof ComplianceHooks
/** Any one compliance hook. @see docs/oauth2.md#compliance-hooks-for-non-standard-providers */
export type ComplianceHook = ComplianceHooks[ComplianceHookName]

const COMPLIANCE_HOOK_NAMES: readonly ComplianceHookName[] = [
  'access_token_response',
  'refresh_token_response',
  'refresh_token_request',
  'revoke_token_request',
  'introspect_token_request',
  'protected_request',
]

/** Registered hooks by name, run in registration order, each on the previous one's result. */
export class ComplianceHookRegistry {
  readonly #hooks = new Map<ComplianceHookName, ComplianceHook[]>()

  register<N extends ComplianceHookName>(name: N, hook: ComplianceHooks[N]): void {
    if (!COMPLIANCE_HOOK_NAMES.includes(name)) {
      throw new InvalidArgumentError(
        `unknown compliance hook '${String(name)}'; expected one of ${COMPLIANCE_HOOK_NAMES.join(', ')}`,
      )
    }
    if (typeof hook !== 'function')
      throw new InvalidArgumentError(`compliance hook '${name}' must be a function`)
    const list = this.#hooks.get(name) ?? []
    list.push(hook)
    this.#hooks.set(name, list)
  }

  has(name: ComplianceHookName): boolean {
    return this.#hooks.has(name)
  }

  async run<N extends ComplianceHookName>(
    name: N,
    value: Parameters<ComplianceHooks[N]>[0],
  ): Promise<Parameters<ComplianceHooks[N]>[0]> {
    let current = value
    for (const hook of this.#hooks.get(name) ?? []) {
      current = await (hook as (input: typeof current) => typeof current | Promise<typeof current>)(current)
      if (current === null || typeof current !== 'object') {
        throw new InvalidArgumentError(
          `compliance hook '${name}' must return an object, got ${current === null ? 'null' : typeof current}`,
        )
      }
    }
    return current
  }
}

/** Runs the protected_request hooks on a resource request, as text, and applies what they return. */
export async function runProtectedRequestHook(
  hooks: ComplianceHookRegistry,
  request: PreparedRequest,
): Promise<void> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const body =
    typeof request.body === 'string'
      ? request.body
      : request.body instanceof Uint8Array
        ? Buffer.from(request.body).toString('utf8')
        : ''
  const hooked: HookRequest = await hooks.run('protected_request', { url: request.url.href, headers, body })
  request.url = new URL(hooked.url)
  request.headers = { ...hooked.headers }
  if (hooked.body !== body) request.body = hooked.body
}
