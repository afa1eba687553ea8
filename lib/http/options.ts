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
