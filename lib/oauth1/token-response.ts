import { InvalidResponseError, OAuthError } from '../errors.js'
import { excerpt } from '../http/endpoint-errors.js'
import { redactSecrets } from '../redact.js'

/** Credentials as the wire carries them (RFC 5849 §2.1, §2.3); users persist them as JSON. */
export interface OAuth1Token {
  /** The token identifier (RFC 5849 §2.1, §2.3). */
  oauth_token: string
  /** The shared secret that signs requests with this token. */
  oauth_token_secret: string
  /** The verifier the user brings back from authorization (RFC 5849 §2.2); needed for the access-token request. */
  oauth_verifier?: string
  [field: string]: unknown
}

const LONE_SURROGATE = /\p{Cs}/u

/** A token endpoint answer, already read within the size cap. */
export interface TokenEndpointAnswer {
  statusCode: number
  contentType: string | undefined
  body: string
}

/**
 * The fields of a temporary or token credentials answer. RFC 5849 §2.1/§2.3 send
 * application/x-www-form-urlencoded; some providers answer JSON, recognised by its content-type
 * or a body that starts with "{". A repeated name keeps its first value.
 */
function readFields(answer: TokenEndpointAnswer): Record<string, unknown> | undefined {
  const text = answer.body.trim()
  if (answer.contentType?.toLowerCase().includes('json') || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text)
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined
    } catch {
      return undefined
    }
  }
  const fields: Record<string, unknown> = {}
  for (const [name, value] of new URLSearchParams(text))
    if (!Object.hasOwn(fields, name)) fields[name] = value
  return fields
}

function optionalString(fields: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = fields?.[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Turns a temporary or token credentials answer into a token, or throws (with `secrets` redacted
 * from everything the provider wrote):
 * - `OAuthError` when the provider reports a problem: `oauth_problem` (the OAuth Problem
 *   Reporting extension, with `oauth_problem_advice`) or an RFC 6749-style `error` (oauthlib),
 *   whatever the status;
 * - `InvalidResponseError` for any other non-2xx answer, a body that cannot be read, or one
 *   without the string `oauth_token` and `oauth_token_secret` that §2.1/§2.3 require.
 * Messages carry the status and a short excerpt with `secrets` and token-like runs removed.
 */
export function parseTokenAnswer(
  answer: TokenEndpointAnswer,
  what: string,
  secrets: readonly (string | undefined)[],
): OAuth1Token {
  const { statusCode } = answer
  const fields = readFields(answer)
  const problem = redactSecrets(
    optionalString(fields, 'oauth_problem') ?? optionalString(fields, 'error'),
    secrets,
  )
  if (problem !== undefined) {
    const description = redactSecrets(
      optionalString(fields, 'oauth_problem_advice') ?? optionalString(fields, 'error_description'),
      secrets,
    )
    throw new OAuthError(
      `${what} answered ${statusCode} ${problem}${description ? `: ${description}` : ''}`,
      {
        error: problem,
        description,
        uri: redactSecrets(optionalString(fields, 'error_uri'), secrets),
        statusCode,
      },
    )
  }
  const invalid = (reason: string) =>
    new InvalidResponseError(`${what} answered ${statusCode}: ${reason}`, {
      statusCode,
      excerpt: excerpt(answer.body, secrets),
    })
  if (statusCode < 200 || statusCode > 299) throw invalid('not a success status')
  if (fields === undefined) throw invalid('expected an application/x-www-form-urlencoded or JSON object body')
  if (typeof fields['oauth_token'] !== 'string' || fields['oauth_token'] === '') {
    throw invalid('oauth_token is missing or not a string (RFC 5849 §2.1, §2.3)')
  }
  if (typeof fields['oauth_token_secret'] !== 'string') {
    throw invalid('oauth_token_secret is missing or not a string (RFC 5849 §2.1, §2.3)')
  }
  // A JSON "\ud800" escape decodes to a lone surrogate, which has no UTF-8 form: such credentials
  // could never be percent-encoded (§3.6) for a signature.
  if (LONE_SURROGATE.test(fields['oauth_token']) || LONE_SURROGATE.test(fields['oauth_token_secret'])) {
    throw invalid('oauth_token or oauth_token_secret is not well-formed Unicode')
  }
  return { ...fields } as OAuth1Token
}
