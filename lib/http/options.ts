import { InvalidArgumentError, InvalidOptionError } from '../errors.js'

/**
 * Validation of options and arguments: each message names the value, what was expected, and what
 * came. A constructor option fails with an InvalidOptionError, a call's argument with an
 * InvalidArgumentError (both TypeErrors); the `check*` helpers take the error to make as `fail`.
 */

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `a string of length ${value.length}`
  if (typeof value === 'number') return String(value)
  return typeof value
}

/** Makes the error for a value that is not what was expected. */
export type ValueError = (name: string, expected: string, value: unknown) => TypeError

/** A constructor option is not what was expected. */
export const optionError: ValueError = (name, expected, value) =>
  new InvalidOptionError(`option \`${name}\` must be ${expected}, got ${describe(value)}`)

/** A call's argument (or a member of it) is not what was expected. */
export const argumentError: ValueError = (name, expected, value) =>
  new InvalidArgumentError(`\`${name}\` must be ${expected}, got ${describe(value)}`)

/** A number option (or argument): `defaultValue` when undefined, else one that `accepts` takes. */
function checkNumber(
  accepts: (value: number) => boolean,
  expected: string,
): (name: string, value: unknown, defaultValue: number, fail?: ValueError) => number {
  return (name, value, defaultValue, fail = optionError) => {
    if (value === undefined) return defaultValue
    if (typeof value !== 'number' || !accepts(value)) throw fail(name, expected, value)
    return value
  }
}

export const checkPositiveNumber = checkNumber(
  value => Number.isFinite(value) && value > 0,
  'a positive finite number',
)

export const checkNonNegativeInteger = checkNumber(
  value => Number.isSafeInteger(value) && value >= 0,
  'a non-negative integer',
)

export function checkPositiveInteger(
  name: string,
  value: unknown,
  defaultValue: number,
  fail: ValueError = optionError,
): number {
  const n = checkNonNegativeInteger(name, value, defaultValue, fail)
  if (n === 0) throw fail(name, 'a positive integer', value)
  return n
}

export function checkString(
  name: string,
  value: unknown,
  fail: ValueError = optionError,
): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw fail(name, 'a string', value)
  return value
}

export function checkUrl(name: string, value: unknown, fail: ValueError = optionError): URL | undefined {
  if (value === undefined) return undefined
  if (value instanceof URL) return new URL(value.href)
  if (typeof value === 'string') {
    try {
      return new URL(value)
    } catch {
      throw fail(name, 'an absolute URL', value)
    }
  }
  throw fail(name, 'a string or URL', value)
}

export function checkOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  defaultValue: T,
  fail: ValueError = optionError,
): T {
  if (value === undefined) return defaultValue
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw fail(name, `one of ${allowed.map(a => `'${a}'`).join(', ')}`, value)
  }
  return value as T
}

export function checkFunction<F extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
  fail: ValueError = optionError,
): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw fail(name, 'a function', value)
  return value as F
}

/**
 * Every key of an options interface, as an object literal: the compiler rejects a list that misses
 * a key of `T` or names one `T` does not have, so the list of known names cannot drift from it.
 */
export type OptionNames<T> = { readonly [K in keyof T]-?: true }

/** Case, `_` and `-` ignored: `code_verifier` and `CodeVerifier` are both `codeverifier`. */
function normalized(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '')
}

/** Levenshtein distance (insertions, deletions and substitutions each cost one), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The known name a mistyped `name` most likely meant (ignoring case, `_` and `-`, so snake_case
 * finds its camelCase form): the closest within max(2, a third of its length) edits.
 */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const target = normalized(name)
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(target.length / 3)) + 1
  for (const candidate of known) {
    const distance = editDistance(target, normalized(candidate))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/**
 * Throws an InvalidOptionError for the first own key of `object` that is not in `known`, naming it
 * and the closest known name: in JavaScript a misspelt option would otherwise be ignored in silence.
 * `what` says whose key it is (e.g. 'OAuth2Client option'); `hint` says what to do instead.
 */
export function checkKnownKeys(what: string, object: object, known: readonly string[], hint = ''): void {
  const message = unknownKeyMessage(what, object, known, hint)
  if (message !== undefined) throw new InvalidOptionError(message)
}

/** checkKnownKeys for a call's parameters (e.g. 'fetchToken parameter'): an InvalidArgumentError. */
export function checkKnownParams(what: string, object: object, known: readonly string[], hint = ''): void {
  const message = unknownKeyMessage(what, object, known, hint)
  if (message !== undefined) throw new InvalidArgumentError(message)
}

/** What is wrong with the first own key of `object` not in `known`, if one is not. */
function unknownKeyMessage(
  what: string,
  object: object,
  known: readonly string[],
  hint: string,
): string | undefined {
  for (const name of Object.keys(object)) {
    if (known.includes(name)) continue
    const guess = suggest(name, known)
    const help =
      guess !== undefined
        ? `: did you mean \`${guess}\`?`
        : hint === ''
          ? ` (known: ${known.join(', ')})`
          : ''
    return `unknown ${what} \`${name}\`${help}${hint === '' ? '' : `; ${hint}`}`
  }
  return undefined
}
