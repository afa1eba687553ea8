import type { Dispatcher } from 'undici'
import { InvalidResponseError } from '../errors.js'
import { firstHeader } from './headers.js'

/** OAuth endpoint answers are small; anything larger is refused before it is buffered (DESIGN: security defaults). */
export const MAX_OAUTH_BODY = 1024 * 1024

/**
 * Reads a response body as UTF-8 text, refusing more than `limit` bytes: the stream is destroyed
 * as soon as the limit is passed (or at once when content-length says so), so a huge or endless
 * body is never buffered.
 */
export async function readCappedText(
  response: Dispatcher.ResponseData,
  limit = MAX_OAUTH_BODY,
  what = 'response',
): Promise<string> {
  const { body, statusCode } = response
  const tooLarge = () => {
    body.destroy()
    return new InvalidResponseError(`${what} body exceeds ${limit} bytes`, { statusCode })
  }
  const declared = Number(firstHeader(response.headers, 'content-length'))
  if (declared > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}
