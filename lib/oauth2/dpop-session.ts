/**
 * A client's DPoP (RFC 9449): the proof on each token-endpoint attempt (§5) and on each resource
 * request that carries a DPoP-bound token (§7.1), the two nonce caches (§8 for the authorization
 * server, §9 for resource servers) and the answers that ask for one repeat with a new nonce.
 */
import type { DescribeClient } from '../diagnostics/publish.js'
import { publishDpopNonceRetry } from '../diagnostics/publish.js'
import type { EndpointAttempt } from '../http/endpoint.js'
import type { EndpointResponse } from '../http/endpoint-errors.js'
import { Prepared } from '../http/prepare.js'
import type { PreparedRequest } from '../http/prepared-request.js'
import type { DpopKey } from './dpop.js'
import { asksAuthorizationServerNonce, asksResourceNonce, NonceCache } from './dpop-nonce.js'
import { DpopProver, targetUri } from './dpop-proofs.js'

/** What an endpoint call adds for DPoP: the proof on each attempt, and the nonce repeat. */
export interface DpopEndpointHooks {
  /** Puts a fresh proof in the attempt's `DPoP` header (RFC 9449 §5). */
  prove(attempt: EndpointAttempt): void
  /** Learns the nonce of every answer; true for a `use_dpop_nonce` error that brought one (§8). */
  repeatOnce(response: EndpointResponse): boolean
}

export class DpopSession {
  /** The key's RFC 7638 thumbprint: the `jkt` (§6.1) and the authorization request's `dpop_jkt` (§10). */
  readonly thumbprint: string
  readonly #prover: DpopProver
  readonly #serverNonces = new NonceCache()
  readonly #resourceNonces = new NonceCache()
  /** Names the client in the nonce-retry diagnostics event (docs/observability.md). */
  readonly #client: DescribeClient

  constructor(key: DpopKey, client: DescribeClient) {
    this.thumbprint = key.thumbprint
    this.#prover = new DpopProver(key)
    this.#client = client
  }

  /** The hooks of one call to the endpoint at `url` with `method` (POST for every token request). */
  endpoint(url: URL, method: string): DpopEndpointHooks {
    const origin = url.origin
    let repeated = false
    return {
      prove: attempt => {
        const target = attempt.url
        attempt.headers.dpop = this.#prover.proof(
          method,
          targetUri(target.origin, target.pathname),
          this.#serverNonces.get(target.origin),
          undefined,
        )
      },
      repeatOnce: response => {
        const repeat =
          this.#serverNonces.learn(origin, response.headers) && asksAuthorizationServerNonce(response)
        // The endpoint call repeats only on the first answer's request; later ones only teach the nonce.
        if (repeat && !repeated) publishDpopNonceRetry(this.#client, 'authorization', { method, url })
        repeated ||= repeat
        return repeat
      },
    }
  }

  /**
   * §7.1: the proof of a resource request whose token is DPoP-bound, with `ath` (the token's
   * hash). The request then reports its answer: every DPoP-Nonce is learned for its origin, and a
   * `use_dpop_nonce` challenge that brought one asks for the request once more (§9).
   */
  proveResource(request: PreparedRequest, ath: string): void {
    let origin: string
    let path: string
    if (request instanceof Prepared) {
      // The session's own request: its target is read without parsing a URL.
      origin = request.origin
      path = request.path
    } else {
      const url = request.url
      origin = url.origin
      path = url.pathname
    }
    request.headers.dpop = this.#prover.proof(
      request.method,
      targetUri(origin, path),
      this.#resourceNonces.get(origin),
      ath,
    )
    if (request instanceof Prepared) {
      request.onAnswer = (statusCode, headers) =>
        this.#resourceNonces.learn(origin, headers) && asksResourceNonce(statusCode, headers)
      request.onRepeat = () =>
        publishDpopNonceRetry(this.#client, 'resource', { method: request.method, url: request.url })
    }
  }
}
