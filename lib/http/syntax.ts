/** HTTP and URL syntax that both protocols need: the RFC 9110 token, and appending to a query. */

/** RFC 9110 §5.6.2: tchar, the characters of a token (methods, auth schemes, parameter names). */
const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]"

/** A whole string that is an RFC 9110 §5.6.2 token. */
export const HTTP_TOKEN = new RegExp(`^${TCHAR}+$`)

/** The RFC 9110 §5.6.2 token a string starts with. */
export const LEADING_HTTP_TOKEN = new RegExp(`^${TCHAR}+`)

/** Appends already encoded `query` (`a=1&b=2`) to the URL's query (RFC 3986 §3.4), after what it has. */
export function appendQuery(url: URL, query: string): void {
  url.search = url.search === '' ? query : `${url.search.slice(1)}&${query}`
}
