/**
 * The logout URL of OpenID Connect RP-Initiated Logout 1.0 §2: the provider's
 * `end_session_endpoint` with `id_token_hint`, `post_logout_redirect_uri`, `state` and `client_id`.
 */
import { InvalidOptionError } from '../../errors.js'
import { checkKnownKeys } from '../../http/options.js'
import { appendQuery } from '../../http/syntax.js'
import { appendParams, spaceDelimited } from '../parameters.js'

/** The parameters of `createEndSessionUrl()` (OpenID Connect RP-Initiated Logout 1.0 §2). */
export interface EndSessionUrlParams {
  /** The ID token to hint with; default the current token's `id_token`. */
  idTokenHint?: string
  /** Where the provider sends the user after logout; must be registered with the provider. */
  postLogoutRedirectUri?: string
  /** Returned to `postLogoutRedirectUri` as it was sent. */
  state?: string
  /** `logout_hint` (§2): who is logging out, when there is no ID token to hint with. */
  logoutHint?: string
  /** `ui_locales` (§2): preferred languages, space-separated or as a list. */
  uiLocales?: string | string[]
}

const END_SESSION_URL_PARAMS: readonly (keyof EndSessionUrlParams)[] = [
  'idTokenHint',
  'postLogoutRedirectUri',
  'state',
  'logoutHint',
  'uiLocales',
]

/**
 * The end-session URL on `endpoint` (its own query kept). `client_id` is always sent: §2 asks for
 * it with `post_logout_redirect_uri` when no ID token identifies the client, and it does no harm beside one.
 */
export function buildEndSessionUrl(
  endpoint: string | undefined,
  params: EndSessionUrlParams,
  defaults: { clientId: string | undefined; idToken: string | undefined },
): string {
  checkKnownKeys('createEndSessionUrl parameter', params, END_SESSION_URL_PARAMS)
  if (endpoint === undefined) {
    throw new InvalidOptionError(
      'createEndSessionUrl: the provider names no end_session_endpoint: set the `endSessionEndpoint` option or use OAuth2Client.discover()',
    )
  }
  const query = new URLSearchParams()
  appendParams(query, {
    id_token_hint: params.idTokenHint ?? defaults.idToken,
    logout_hint: params.logoutHint,
    client_id: defaults.clientId,
    post_logout_redirect_uri: params.postLogoutRedirectUri,
    state: params.state,
    ui_locales: spaceDelimited(params.uiLocales),
  })
  const target = new URL(endpoint)
  appendQuery(target, query.toString())
  return target.href
}
