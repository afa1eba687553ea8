/** Compliance hooks: where a client adapts requests and answers to a provider that bends RFC 6749. */
import { InvalidArgumentError } from '../errors.js'
import type { EndpointResponse } from '../http/endpoint-errors.js'
import type { PreparedRequest } from '../http/prepared-request.js'

/** What a request hook sees and returns: the request as it will be sent. */
export interface HookRequest {
  url: string
  headers: Record<string, string>
  body: string
}

export type RequestHook = (request: HookRequest) => HookRequest | Promise<HookRequest>
export type ResponseHook = (response: EndpointResponse) => EndpointResponse | Promise<EndpointResponse>

/**
 * The compliance hooks (Authlib's names) that adapt the client to providers that bend the spec:
 * response hooks rewrite an endpoint's answer before it is parsed, request hooks rewrite a request
 * before client authentication (or, for protected_request, after the token is placed).
 */
export interface ComplianceHooks {
  access_token_response: ResponseHook
  refresh_token_response: ResponseHook
  refresh_token_request: RequestHook
  revoke_token_request: RequestHook
  introspect_token_request: RequestHook
  protected_request: RequestHook
}

export type ComplianceHookName = keyof ComplianceHooks
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
