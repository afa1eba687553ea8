/**
 * The client authentication methods every client knows (RFC 6749 §2.3.1, RFC 7523 §2.2, RFC 8705
 * §2), gathered
 * apart from client-auth.ts, which the JWT methods' own module builds on.
 */
import { RFC6749_CLIENT_AUTH_METHODS, RFC8705_CLIENT_AUTH_METHODS } from './client-auth.js'
import type { ClientAuthMethod } from './client-auth-method.js'
import { ClientSecretJWT } from './client-secret-jwt.js'
import { PrivateKeyJWT } from './private-key-jwt.js'

/**
 * A fresh registry of the built-in methods. client_secret_jwt and private_key_jwt get a default
 * instance whose audience is the endpoint being called; register your own to change it.
 */
export function defaultClientAuthMethods(): Map<string, ClientAuthMethod> {
  const methods = new Map<string, ClientAuthMethod>()
  for (const method of [
    ...RFC6749_CLIENT_AUTH_METHODS,
    new ClientSecretJWT(),
    new PrivateKeyJWT(),
    ...RFC8705_CLIENT_AUTH_METHODS,
  ]) {
    methods.set(method.name, method)
  }
  return methods
}
