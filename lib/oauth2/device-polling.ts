/**
 * Polling the token endpoint for a device code (RFC 8628 §3.4, §3.5) until the user approves:
 * never sooner than the interval, 5 s slower for good after `slow_down`, as long as a 429 or 503
 * says, and never past the codes' expiry.
 */
import { OAuthError } from '../errors.js'
import { sleep } from '../http/retry.js'
import type { DeviceAuthorization, PollAnswer } from './device-authorization.js'
import type { OAuth2Token } from './token.js'

/** RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval for this and every later request. */
const SLOW_DOWN_STEP = 5_000

/**
 * Calls `poll` until it yields a token: first after `interval`, then `interval` (or longer, as
 * the answers say) after each answer. Throws OAuthError `expired_token` when the next poll could
 * only come after `expires_at`, and rejects with the reason of the first of `signals` to abort
 * (the wait's timer is cleared at once). The loop ends: every turn waits at least the positive
 * interval, and the expiry is finite.
 */
export async function pollUntilApproved(
  authorization: DeviceAuthorization,
  poll: () => Promise<PollAnswer>,
  signals: readonly (AbortSignal | undefined)[],
): Promise<OAuth2Token> {
  const expiresAt = authorization.expires_at * 1000
  let interval = authorization.interval * 1000
  let wait = interval
  for (;;) {
    if (Date.now() + wait > expiresAt) {
      throw new OAuthError(
        `device authorization expired before the user approved it (expires_in ${authorization.expires_in} s)`,
        { error: 'expired_token' },
      )
    }
    await sleep(wait, signals)
    const answer = await poll()
    if ('token' in answer) return answer.token
    if (answer.wait === 'slow_down') interval += SLOW_DOWN_STEP
    wait = answer.wait === 'busy' ? Math.max(interval, answer.retryAfter ?? 0) : interval
  }
}
