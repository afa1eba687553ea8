/** Request parameters as RFC 6749 writes them: scope (§3.3) and form-encoded parameters (Appendix B). */
import { InvalidArgumentError } from '../errors.js'

/**
 * A space-delimited list: RFC 6749 §3.3's scope, and OpenID Connect's `prompt`, `acr_values` and
 * `ui_locales` (Core §3.1.2.1), given as one string or as its items.
 */
export function spaceDelimited(list: string | readonly string[] | undefined): string | undefined {
  if (list === undefined) return undefined
  return typeof list === 'string' ? list : list.join(' ')
}

/** Appends `params` to `target` in order, expanding arrays and skipping undefined and null. */
export function appendParams(target: URLSearchParams, params: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) for (const item of value) target.append(name, String(item))
    else target.append(name, String(value))
  }
}

/** Further form parameters for the endpoint, sent as they are (an array repeats the name). */
export type ExtraParams = Record<string, string | string[]>

/**
 * Appends the caller's `extraParams` to a request body. A name the body already holds is refused:
 * the request's own parameters come from their named options, never twice. `caller` names the
 * method for the message.
 */
export function appendExtraParams(body: URLSearchParams, extraParams: unknown, caller: string): void {
  if (extraParams === undefined) return
  if (extraParams === null || typeof extraParams !== 'object' || Array.isArray(extraParams)) {
    throw new InvalidArgumentError(
      `${caller}: extraParams must be an object of names to strings or string arrays`,
    )
  }
  for (const [name, value] of Object.entries(extraParams)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    if (!values.every(item => typeof item === 'string')) {
      throw new InvalidArgumentError(`${caller}: extraParams.${name} must be a string or an array of strings`)
    }
    if (body.has(name)) {
      throw new InvalidArgumentError(
        `${caller}: extraParams.${name} is a parameter the client sets itself; use its option`,
      )
    }
    for (const item of values as string[]) body.append(name, item)
  }
}
