/** Construction-time validation: each message names the option, what was expected, and what came. */

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `a string of length ${value.length}`
  if (typeof value === 'number') return String(value)
  return typeof value
}

export function optionError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`option \`${name}\` must be ${expected}, got ${describe(value)}`)
}

export function checkPositiveNumber(name: string, value: unknown, defaultValue: number): number {
  if (value === undefined) return defaultValue
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw optionError(name, 'a positive finite number', value)
  }
  return value
}

export function checkNonNegativeInteger(name: string, value: unknown, defaultValue: number): number {
  if (value === undefined) return defaultValue
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw optionError(name, 'a non-negative integer', value)
  }
  return value
}

export function checkPositiveInteger(name: string, value: unknown, defaultValue: number): number {
  const n = checkNonNegativeInteger(name, value, defaultValue)
  if (n === 0) throw optionError(name, 'a positive integer', value)
  return n
}

export function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw optionError(name, 'a string', value)
  return value
}

export function checkUrl(name: string, value: unknown): URL | undefined {
  if (value === undefined) return undefined
  if (value instanceof URL) return new URL(value.href)
  if (typeof value === 'string') {
    try {
      return new URL(value)
    } catch {
      throw optionError(name, 'an absolute URL', value)
    }
  }
  throw optionError(name, 'a string or URL', value)
}

export function checkOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  defaultValue: T,
): T {
  if (value === undefined) return defaultValue
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw optionError(name, `one of ${allowed.map(a => `'${a}'`).join(', ')}`, value)
  }
  return value as T
}

export function checkFunction<F extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw optionError(name, 'a function', value)
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
 * Throws a TypeError for the first own key of `object` that is not in `known`, naming it and the
 * closest known name: in JavaScript a misspelt option would otherwise be ignored in silence.
 * `what` says whose key it is (e.g. 'OAuth2Client option'); `hint` says what to do instead.
 */
export function checkKnownKeys(what: string, object: object, known: readonly string[], hint = ''): void {
  for (const name of Object.keys(object)) {
    if (known.includes(name)) continue
    const guess = suggest(name, known)
    const help =
      guess !== undefined
        ? `: did you mean \`${guess}\`?`
        : hint === ''
          ? ` (known: ${known.join(', ')})`
          : ''
    throw new TypeError(`unknown ${what} \`${name}\`${help}${hint === '' ? '' : `; ${hint}`}`)
  }
}
