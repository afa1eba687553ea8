import OAuth from 'oauth-1.0a'
import type { PreparedRequest } from '../lib/http/prepared-request.js'
import { hmacSha1, OAUTH1 } from './clients.js'
import { OAuth1Client } from './library.js'
import { median, round } from './stats.js'

const URL_TO_SIGN = 'http://127.0.0.1:8080/photos?size=original&file=vacation.jpg&page=2'

/** OAuth1Client's own credentials step, called directly: no socket is ever opened. */
class SigningClient extends OAuth1Client {
  sign(request: PreparedRequest): void {
    this.authorize(request)
  }
}

function rate(iterations: number, once: () => void): number {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) once()
  return iterations / ((performance.now() - started) / 1000)
}

/**
 * HMAC-SHA1 signatures per second of a GET with three query parameters and a token, rendered as
 * an Authorization header: OAuth1Client (URL parsed per request, as the session does) against
 * oauth-1.0a with node:crypto as its hash function. Interleaved rounds; ratios within a round.
 */
export function signingBench(iterations: number, rounds: number) {
  const client = new SigningClient({
    clientId: OAUTH1.consumer.key,
    clientSecret: OAUTH1.consumer.secret,
    token: OAUTH1.token.key,
    tokenSecret: OAUTH1.token.secret,
  })
  const oauth = new OAuth({
    consumer: OAUTH1.consumer,
    signature_method: 'HMAC-SHA1',
    hash_function: hmacSha1,
  })
  let sink = 0
  const ours = () => {
    const request: PreparedRequest = {
      method: 'GET',
      url: new URL(URL_TO_SIGN),
      headers: {},
      body: null,
      form: undefined,
    }
    client.sign(request)
    sink += (request.headers.authorization as string).length
  }
  const theirs = () => {
    const header = oauth.toHeader(oauth.authorize({ url: URL_TO_SIGN, method: 'GET' }, OAUTH1.token))
    sink += header.Authorization.length
  }
  rate(Math.ceil(iterations / 4), ours)
  rate(Math.ceil(iterations / 4), theirs)
  const oursRates: number[] = []
  const theirRates: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < rounds; r++) {
    let a: number
    let b: number
    if (r % 2 === 0) {
      a = rate(iterations, ours)
      b = rate(iterations, theirs)
    } else {
      b = rate(iterations, theirs)
      a = rate(iterations, ours)
    }
    oursRates.push(a)
    theirRates.push(b)
    ratios.push(a / b)
  }
  // Keeps the rendered headers observable, so no engine can drop the work as dead.
  if (sink === 0) throw new Error('no signature was produced')
  void client.close()
  return {
    ours: Math.round(median(oursRates)),
    oauth10a: Math.round(median(theirRates)),
    ratio: round(median(ratios)),
    rounds: {
      ours: oursRates.map(Math.round),
      oauth10a: theirRates.map(Math.round),
      ratio: ratios.map(round),
    },
  }
}
