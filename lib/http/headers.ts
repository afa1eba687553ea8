import type { IncomingHttpHeaders } from 'node:http'

export type HeaderRecord = Record<string, string | string[]>
export type HeaderInput = Record<string, string | string[] | undefined>

/** Headers as undici's dispatch options may carry them: a record, a flat [name, value, ...] list, or pairs. */
export type DispatchHeaders =
  | IncomingHttpHeaders
  | Record<string, string | string[] | number | undefined | null>
  | (string | string[] | Buffer)[]
  | Iterable<[string, string | string[] | undefined]>
  | null
  | undefined

function add(target: HeaderRecord, name: string, value: string | string[]): void {
  const key = name.toLowerCase()
  const existing = target[key]
  if (existing === undefined) target[key] = value
  else target[key] = ([] as string[]).concat(existing, value)
}

/** Copies `defaults` then `headers` into a fresh record with lower-case names; later names win. */
export function mergeHeaders(defaults: HeaderRecord, headers: HeaderInput | undefined): HeaderRecord {
  const merged: HeaderRecord = { ...defaults }
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined) merged[name.toLowerCase()] = value
    }
  }
  return merged
}

/** Reads any header shape undici accepts into a fresh lower-case record (the caller's object is never touched). */
export function readDispatchHeaders(headers: DispatchHeaders): HeaderRecord {
  const out: HeaderRecord = {}
  if (headers == null) return out
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as [string, string | string[]][]) add(out, name, value)
    } else {
      for (let i = 0; i < headers.length; i += 2) {
        const value = headers[i + 1]
        add(out, String(headers[i]), Array.isArray(value) ? value.map(String) : String(value))
      }
    }
    return out
  }
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) {
      if (value !== undefined) add(out, name, value)
    }
    return out
  }
  for (const name in headers) {
    const value = (headers as Record<string, unknown>)[name]
    if (value == null) continue
    add(out, name, Array.isArray(value) ? value.map(String) : String(value))
  }
  return out
}

/** The first value of a header from a lower-case record. */
export function firstHeader(headers: HeaderRecord | IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}
