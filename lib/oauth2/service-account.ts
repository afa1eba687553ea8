import type { KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { InvalidOptionError } from '../errors.js'
import { optionError } from '../http/options.js'
import { toPrivateKey } from '../keys.js'
import { type AssertionClientOptions, checkRecord } from './assertion-client-options.js'
import { spaceDelimited } from './parameters.js'

/**
 * A Google service-account key file (what GOOGLE_APPLICATION_CREDENTIALS names): the fields this
 * package reads. Google's files carry more (project_id, client_id, auth_uri...), which are ignored.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export interface ServiceAccountKey {
  /** Google's marker for a service-account key file. @see docs/service-accounts.md#service-accounts-assertionclient-rfc-7523-21-jwt-bearer-grant */
  type: 'service_account'
  /** The assertion's `iss` (and by default its `sub`). @see https://www.rfc-editor.org/rfc/rfc7523#section-3 */
  client_email: string
  /** PEM (PKCS#8); signs RS256 assertions. @see https://www.rfc-editor.org/rfc/rfc7518#section-3.3 */
  private_key: string
  /** Sent as the JWT header `kid`, so the server picks the right public key. @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.4 */
  private_key_id?: string
  /** The token endpoint, and the assertion's `aud`. @see https://www.rfc-editor.org/rfc/rfc7523#section-3 */
  token_uri: string
  [field: string]: unknown
}

/** A service account as AssertionClient uses it, its key imported. */
export interface ServiceAccount {
  clientEmail: string
  key: KeyObject
  privateKeyId: string | undefined
  tokenUri: string
}

const WHAT = 'AssertionClient.fromServiceAccount'

/** The kind of a value, for messages: never its content. */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** JSON text to an object. The parser's error is dropped: V8 quotes the text, which holds the key. */
function parseObject(text: string, where: string): Record<string, unknown> {
  let parsed: unknown
  try {
    // A file saved with a byte order mark is still JSON to its author.
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch {
    throw new InvalidOptionError(`${WHAT}: ${where} is not valid JSON`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidOptionError(`${WHAT}: ${where} is JSON but not an object; got ${kindOf(parsed)}`)
  }
  return parsed as Record<string, unknown>
}

function readKeyFile(path: string | URL): Record<string, unknown> {
  // Key text passed where a path belongs must not end up quoted in a "file not found" message
  // (a Windows path may hold a backslash before an n, so only armour and real breaks count).
  if (typeof path === 'string' && (path === '' || /[\r\n]|-----BEGIN/.test(path))) {
    throw new InvalidOptionError(
      `${WHAT}: expected the service-account JSON (object or text) or a file path; got a string that is neither (key text is not accepted here: pass the whole file)`,
    )
  }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new InvalidOptionError(`${WHAT}: could not read the service-account file ${String(path)} (${code})`)
  }
  return parseObject(text, `the file ${String(path)}`)
}

function toObject(source: unknown): Record<string, unknown> {
  if (source instanceof URL) return readKeyFile(source)
  if (typeof source === 'string') {
    return source.trimStart().startsWith('{') ? parseObject(source, 'the JSON text') : readKeyFile(source)
  }
  if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    return source as Record<string, unknown>
  }
  throw new InvalidOptionError(
    `${WHAT}: expected the service-account JSON (object or text) or a file path; got ${kindOf(source)}`,
  )
}

function requiredString(fields: Record<string, unknown>, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(
      `${WHAT}: the service account's ${name} must be a non-empty string; got ${value === undefined ? 'none' : kindOf(value)}`,
    )
  }
  return value
}

/**
 * Reads a Google service-account key (the parsed object, its JSON text, or a file path) and imports
 * its private key. Only `type: 'service_account'` is accepted: other credential files (an
 * authorized_user's refresh token, an external_account) cannot sign a JWT bearer assertion.
 */
export function readServiceAccount(source: unknown): ServiceAccount {
  const fields = toObject(source)
  if (fields.type !== 'service_account') {
    const type = fields.type
    const got =
      typeof type === 'string' && /^[\w-]{1,64}$/.test(type)
        ? `"${type}"`
        : type === undefined
          ? 'no type'
          : kindOf(type)
    throw new InvalidOptionError(
      `${WHAT}: expected a credentials file of type "service_account"; got ${got} (only a service account's private key can sign the assertion)`,
    )
  }
  const clientEmail = requiredString(fields, 'client_email')
  const privateKey = requiredString(fields, 'private_key')
  const tokenUri = requiredString(fields, 'token_uri')
  if (!URL.canParse(tokenUri)) {
    throw new InvalidOptionError(`${WHAT}: the service account's token_uri must be an absolute URL`)
  }
  const privateKeyId = fields.private_key_id
  if (privateKeyId !== undefined && typeof privateKeyId !== 'string') {
    throw new InvalidOptionError(
      `${WHAT}: the service account's private_key_id must be a string; got ${kindOf(privateKeyId)}`,
    )
  }
  return {
    clientEmail,
    key: toPrivateKey(privateKey, `${WHAT}: the service account's private_key`).key,
    privateKeyId: privateKeyId === '' ? undefined : privateKeyId,
    tokenUri,
  }
}

/**
 * AssertionClient options for fromServiceAccount: the file gives the endpoint, audience, issuer and key.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export interface ServiceAccountOptions
  extends Omit<AssertionClientOptions, 'tokenEndpoint' | 'audience' | 'issuer' | 'key' | 'scope'> {
  /**
   * The scopes the token is for, sent as the assertion's `scope` claim (where Google reads them).
   * @see docs/service-accounts.md#service-accounts-assertionclient-rfc-7523-21-jwt-bearer-grant
   */
  scope?: string | string[]
}

/** Options fromServiceAccount takes from the file; giving them as well is a mistake, not an override. */
const FROM_FILE: Record<string, string> = {
  tokenEndpoint: 'token_uri',
  audience: 'token_uri',
  issuer: 'client_email',
  key: 'private_key',
}

/**
 * The AssertionClient options for a Google service account (see AssertionClient.fromServiceAccount):
 * the file gives the endpoint, audience, issuer and key; `scope` goes into the assertion's claims.
 */
export function serviceAccountClientOptions(
  source: ServiceAccountKey | string | URL,
  options: ServiceAccountOptions,
): AssertionClientOptions {
  if (options === null || typeof options !== 'object') throw optionError('options', 'an object', options)
  for (const [name, field] of Object.entries(FROM_FILE)) {
    if (Object.hasOwn(options, name)) {
      throw new InvalidOptionError(
        `AssertionClient.fromServiceAccount: option \`${name}\` comes from the service account's ${field} and cannot be given`,
      )
    }
  }
  const account = readServiceAccount(source)
  const { scope, claims, header, subject, ...rest } = options
  if (scope !== undefined && typeof scope !== 'string' && !Array.isArray(scope)) {
    throw optionError('scope', 'a string or an array of strings', scope)
  }
  const scopeClaim = spaceDelimited(scope)
  return {
    ...rest,
    subject: subject === undefined ? account.clientEmail : subject,
    tokenEndpoint: account.tokenUri,
    audience: account.tokenUri,
    issuer: account.clientEmail,
    key: account.key,
    claims: {
      ...checkRecord('claims', claims),
      ...(scopeClaim === undefined ? {} : { scope: scopeClaim }),
    },
    header: {
      alg: 'RS256',
      ...(account.privateKeyId === undefined ? {} : { kid: account.privateKeyId }),
      ...checkRecord('header', header),
    },
  }
}
