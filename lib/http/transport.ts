import { InsecureTransportError } from '../errors.js'

/**
 * True for hosts whose traffic never leaves the machine: `localhost`, 127.0.0.0/8 and ::1.
 * (RFC 6761 §6.3 reserves `localhost`; RFC 1122 §3.2.1.3 the 127/8 block; RFC 4291 §2.5.3 ::1.)
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/** https://, or http:// to a loopback host. */
export function isSecureTransport(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

/**
 * Credentials travel only over https://, or over http:// to loopback when no proxy relays them (RFC 6749 §10.3 and §3.1
 * require TLS for tokens and credentials). The message names the URL without its query, which
 * may already hold a token.
 */
export function assertSecureTransport(url: URL, proxied = false): void {
  if (isSecureTransport(url) && !(proxied && url.protocol !== 'https:')) return
  throw new InsecureTransportError(
    `refusing to send credentials over ${url.protocol}//${url.host}${url.pathname}${proxied ? ' through a proxy' : ''}: ` +
      `use https://${proxied ? '' : ', a loopback host'}, or allowInsecureTransport: true`,
  )
}
