/**
 * The session's TLS client settings: a client certificate every pooled socket presents (RFC 8705
 * §2 mutual TLS) and the CAs it trusts. They are loaded once into a Node SecureContext, so a bad
 * certificate, key or passphrase fails at construction, and the key and passphrase are kept by no
 * object the session or its dispatcher could show.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import { InvalidOptionError } from '../errors.js'
import { checkKnownKeys, type OptionNames, optionError } from './options.js'

/** PEM text or bytes, or a list of them (a chain, several keys or CAs), as node:tls takes them. */
export type PemInput = string | Buffer | readonly (string | Buffer)[]

export interface TlsOptions {
  /** The client certificate chain (PEM), leaf first; needs `key`. */
  cert?: PemInput
  /** The certificate's private key (PEM); a secret, never shown. */
  key?: PemInput
  /** CAs to trust for the servers, in place of Node's default list (as in tls.connect). */
  ca?: PemInput
  /** Decrypts an encrypted `key`; a secret, never shown. */
  passphrase?: string
}

const TLS_OPTIONS: OptionNames<TlsOptions> = { cert: true, key: true, ca: true, passphrase: true }

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value)
}

function checkPem(name: string, value: unknown): void {
  if (value === undefined || isPem(value)) return
  if (Array.isArray(value) && value.length > 0 && value.every(isPem)) return
  // The value may hold a key: only its kind is named, never its content.
  const got = Array.isArray(value)
    ? value.length === 0
      ? 'an empty array'
      : 'an array holding something else'
    : value === null
      ? 'null'
      : typeof value
  throw new InvalidOptionError(
    `option \`${name}\` must be PEM text, a Buffer, or an array of them, got ${got}`,
  )
}

/** What undici's connect options take from the `tls` option: the loaded context, nothing else. */
export interface TlsConnectOptions {
  secureContext: SecureContext
}

/**
 * Checks the `tls` option and loads it; undefined when absent. A certificate without its key (or
 * the reverse), a passphrase without a key, a key that does not decrypt or does not match the
 * certificate are refused here, with OpenSSL's reason and no secret in the message.
 */
export function readTlsOptions(value: unknown): TlsConnectOptions | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError('tls', 'an object { cert, key, ca, passphrase }', value)
  }
  checkKnownKeys('tls option', value, Object.keys(TLS_OPTIONS))
  const tls = value as TlsOptions
  checkPem('tls.cert', tls.cert)
  checkPem('tls.key', tls.key)
  checkPem('tls.ca', tls.ca)
  if (tls.passphrase !== undefined && typeof tls.passphrase !== 'string') {
    throw optionError('tls.passphrase', 'a string', tls.passphrase)
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new InvalidOptionError(
      `option \`tls\`: \`cert\` and \`key\` go together, got ${tls.cert === undefined ? 'a key without a certificate' : 'a certificate without its key'}`,
    )
  }
  if (tls.passphrase !== undefined && tls.key === undefined) {
    throw new InvalidOptionError('option `tls`: `passphrase` decrypts `key`, but no key was given')
  }
  try {
    // Node's types want mutable arrays; createSecureContext only reads them.
    const context = createSecureContext({
      cert: tls.cert as string | Buffer | (string | Buffer)[] | undefined,
      key: tls.key as string | Buffer | (string | Buffer)[] | undefined,
      ca: tls.ca as string | Buffer | (string | Buffer)[] | undefined,
      passphrase: tls.passphrase,
    })
    return { secureContext: context }
  } catch (err) {
    // node:tls throws Errors; OpenSSL's reason ('bad decrypt', 'key values mismatch', ...) names
    // no key material.
    throw new InvalidOptionError(
      `option \`tls\`: the certificate, key and CAs given do not load into a TLS context (${(err as Error).message})`,
    )
  }
}
