/**
 * Client authentication with a shared secret or none (RFC 6749 §2.3.1, §2.1), or with the TLS
 * client certificate (RFC 8705 §2).
 */
import { InvalidOptionError } from '../errors.js'
import type { ClientAuthMethod, ClientAuthRequest, ClientCredentials } from './client-auth-method.js'

/** RFC 6749 Appendix B: client id and secret are form-urlencoded before they are joined by ':'. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

function requireSecret(client: ClientCredentials, method: string): string {
  if (typeof client.clientSecret !== 'string') {
    throw new InvalidOptionError(`${method} needs clientSecret as a string`)
  }
  return client.clientSecret
}

function requireClientId(client: ClientCredentials, method: string): string {
  if (client.clientId === undefined) throw new InvalidOptionError(`${method} needs clientId`)
  return client.clientId
}

/** RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret; nothing in the body. */
const clientSecretBasic: ClientAuthMethod = {
  name: 'client_secret_basic',
  authenticate(request: ClientAuthRequest, client: ClientCredentials): void {
    const id = formEncode(requireClientId(client, 'client_secret_basic'))
    const secret = formEncode(requireSecret(client, 'client_secret_basic'))
    request.headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
  },
}

/** RFC 6749 §2.3.1: client_id and client_secret in the form body. */
const clientSecretPost: ClientAuthMethod = {
  name: 'client_secret_post',
  authenticate(request: ClientAuthRequest, client: ClientCredentials): void {
    request.body.set('client_id', requireClientId(client, 'client_secret_post'))
    request.body.set('client_secret', requireSecret(client, 'client_secret_post'))
  },
}

/** A public client (RFC 6749 §2.1, §3.2.1): it only identifies itself with client_id. */
const none: ClientAuthMethod = {
  name: 'none',
  authenticate(request: ClientAuthRequest, client: ClientCredentials): void {
    request.body.set('client_id', requireClientId(client, 'none'))
  },
}

/**
 * RFC 8705 §2: the client proves itself with the certificate of the TLS connection (the session's
 * `tls` option), so the request carries only client_id, never a secret (§2.1 a CA-issued
 * certificate the server matches to the client's registered subject, §2.2 a self-signed one it
 * matches to the client's registered keys).
 */
function tlsClientAuth(name: TlsClientAuthMethodName): ClientAuthMethod {
  return {
    name,
    authenticate(request: ClientAuthRequest, client: ClientCredentials): void {
      request.body.set('client_id', requireClientId(client, name))
    },
  }
}

type TlsClientAuthMethodName = 'tls_client_auth' | 'self_signed_tls_client_auth'
const TLS_CLIENT_AUTH_METHOD_NAMES: readonly TlsClientAuthMethodName[] = [
  'tls_client_auth',
  'self_signed_tls_client_auth',
]

/** Whether the method named authenticates with the TLS client certificate (RFC 8705 §2). */
export function isTlsClientAuth(name: string): boolean {
  return (TLS_CLIENT_AUTH_METHOD_NAMES as readonly string[]).includes(name)
}

/** The RFC 8705 methods. */
export const RFC8705_CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] =
  TLS_CLIENT_AUTH_METHOD_NAMES.map(tlsClientAuth)

/** The RFC 6749 methods; the RFC 7523 and RFC 8705 ones join them in client-auth-registry.ts. */
export const RFC6749_CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  clientSecretBasic,
  clientSecretPost,
  none,
]
