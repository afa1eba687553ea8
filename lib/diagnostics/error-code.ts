/** What a diagnostics message says of an error: its code, never its message (docs/observability.md). */

/**
 * An error's stable `code` (this package's `ERR_OAUTH_*`, undici's `UND_ERR_*`, Node's), else its
 * class name. A message may quote a server's answer, so it is never published.
 */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { code, name } = err as { code?: unknown; name?: unknown }
    if (typeof code === 'string') return code
    if (typeof name === 'string') return name
  }
  return typeof err
}
