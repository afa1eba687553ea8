/**
 * The device authorization grant (RFC 8628) against a scripted loopback server: the request and
 * its answer, and the poll's timing, measured where the server receives it (pending, slow_down,
 * 429/503 with Retry-After, expiry of the whole poll, abort and destroy with no timer left).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import t from 'tap'
import { ClientClosedError, InvalidResponseError, OAuthError } from '../../lib/errors.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../../lib/oauth2/client.js'
import { DEVICE_CODE_GRANT_TYPE, type DeviceAuthorization } from '../../lib/oauth2/device-authorization.js'
import { type LoopbackServer, startServer } from '../fixtures/http-server.js'
import { oauthError } from '../fixtures/match.js'

type Answer = { status: number; body: unknown; headers?: Record<string, string> }

interface Scripted {
  server: LoopbackServer
  /** Form bodies received at /device and /token, with their arrival time (ms). */
  received: { path: string; at: number; form: URLSearchParams; authorization: string | undefined }[]
  /** Arrival times of the token polls. */
  polls(): number[]
}

const TOKEN = { access_token: 'device-access-token', token_type: 'Bearer', expires_in: 600 }
const PENDING: Answer = { status: 400, body: { error: 'authorization_pending' } }
const SUCCESS: Answer = { status: 200, body: TOKEN }

/**
 * /device answers `device` (a device authorization response); /token answers `polls` in order,
 * then keeps answering the last one; any other path echoes the Authorization header it got.
 */
async function scripted(device: Record<string, unknown>, polls: Answer[]): Promise<Scripted> {
  const received: Scripted['received'] = []
  let next = 0
  const reply = (res: ServerResponse, answer: Answer) => {
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
    res.end(JSON.stringify(answer.body))
  }
  const server = await startServer((req: IncomingMessage, res, body) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    received.push({
      path,
      at: Date.now(),
      form: new URLSearchParams(body.toString()),
      authorization: req.headers.authorization,
    })
    if (path === '/device') return reply(res, { status: 200, body: device })
    if (path === '/token') return reply(res, polls[Math.min(next++, polls.length - 1)]!)
    reply(res, { status: 200, body: { authorization: req.headers.authorization } })
  })
  t.teardown(server.close)
  return {
    server,
    received,
    polls: () => received.filter(r => r.path === '/token').map(r => r.at),
  }
}

function deviceResponse(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    device_code: 'the-device-code',
    user_code: 'WDJB-MJHT',
    verification_uri: 'https://example.com/device',
    verification_uri_complete: 'https://example.com/device?user_code=WDJB-MJHT',
    expires_in: 600,
    interval: 0.1,
    ...fields,
  }
}

function client(server: LoopbackServer, options: OAuth2ClientOptions = {}): OAuth2Client {
  const c = new OAuth2Client({
    clientId: 'device-client',
    clientSecret: 'device-secret',
    deviceAuthorizationEndpoint: `${server.url}/device`,
    tokenEndpoint: `${server.url}/token`,
    ...options,
  })
  t.teardown(() => c.destroy())
  return c
}

/** Gaps between consecutive times. */
const gaps = (times: number[]): number[] => times.slice(1).map((time, i) => time - times[i]!)

/** setTimeout may fire a millisecond before its delay by the clock Date.now() reads. */
const CLOCK_SLACK = 2

t.test('deviceAuthorization: the RFC 8628 §3.1 request and the §3.2 answer', async t => {
  const s = await scripted(deviceResponse({ interval: undefined }), [SUCCESS])
  const c = client(s.server, { scope: 'api:read', resource: 'https://api.example.com/' })
  const before = Date.now() / 1000
  const authorization = await c.deviceAuthorization()
  const [request] = s.received
  t.equal(request!.path, '/device')
  t.same(Object.fromEntries(request!.form), { scope: 'api:read', resource: 'https://api.example.com/' })
  t.match(request!.authorization, /^Basic /, 'client authentication as at the token endpoint')
  t.equal(authorization.user_code, 'WDJB-MJHT')
  t.equal(authorization.verification_uri_complete, 'https://example.com/device?user_code=WDJB-MJHT')
  t.equal(authorization.interval, 5, 'RFC 8628 §3.2: 5 seconds when the server names no interval')
  t.ok(
    authorization.expires_at >= before + 600 && authorization.expires_at <= Date.now() / 1000 + 600,
    'expires_at counts from the request',
  )

  await c.deviceAuthorization({
    scope: ['openid', 'api:write'],
    resource: ['https://a.example/', 'https://b.example/'],
    extraParams: { audience: 'x' },
  })
  t.same(
    [...s.received[1]!.form],
    [
      ['scope', 'openid api:write'],
      ['resource', 'https://a.example/'],
      ['resource', 'https://b.example/'],
      ['audience', 'x'],
    ],
    'call parameters win over the options; a resource array repeats the parameter',
  )
})

t.test('deviceAuthorization refuses bad input and bad answers with typed errors', async t => {
  const s = await scripted(deviceResponse(), [SUCCESS])
  const c = client(s.server)
  await t.rejects(c.deviceAuthorization({ scopes: 'x' } as never), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /scope/,
  })
  await t.rejects(c.deviceAuthorization({ resource: 'relative/path' }), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
    message: /resource.*absolute URI/,
  })
  await t.rejects(c.deviceAuthorization({ resource: 'https://api.example/#frag' }), {
    code: 'ERR_OAUTH_INVALID_ARGUMENT',
  })
  await t.rejects(c.deviceAuthorization({ resource: [] }), { code: 'ERR_OAUTH_INVALID_ARGUMENT' })
  const unconfigured = new OAuth2Client({ clientId: 'x' })
  await t.rejects(unconfigured.deviceAuthorization(), {
    code: 'ERR_OAUTH_INVALID_OPTION',
    message: /deviceAuthorizationEndpoint/,
  })
  await unconfigured.close()
  await t.rejects(unconfigured.deviceAuthorization(), ClientClosedError)
  t.equal(s.received.length, 0, 'nothing was sent')

  const broken: [Record<string, unknown>, RegExp][] = [
    [deviceResponse({ user_code: undefined }), /user_code is missing/],
    [deviceResponse({ device_code: '' }), /device_code is missing/],
    [deviceResponse({ verification_uri: 7 }), /verification_uri is missing/],
    [deviceResponse({ verification_uri_complete: 7 }), /verification_uri_complete is not a string/],
    [deviceResponse({ expires_in: 0 }), /expires_in is missing or not a positive number/],
    [deviceResponse({ expires_in: '600' }), /expires_in/],
    [deviceResponse({ interval: -1 }), /interval is not a positive number/],
  ]
  for (const [body, message] of broken) {
    const bad = await scripted(body, [SUCCESS])
    await t.rejects(client(bad.server).deviceAuthorization(), { constructor: InvalidResponseError, message })
  }
  const google = await scripted(
    deviceResponse({ verification_uri: undefined, verification_url: 'https://www.google.com/device' }),
    [SUCCESS],
  )
  const fromGoogle = await client(google.server).deviceAuthorization()
  t.equal(fromGoogle.verification_uri, 'https://www.google.com/device', "Google's verification_url is taken")
  const refusing = await startServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'invalid_client', error_description: 'unknown client' }))
  })
  t.teardown(refusing.close)
  await t.rejects(client(refusing).deviceAuthorization(), oauthError('invalid_client', { statusCode: 400 }))
})

t.test(
  'authorization_pending three times, then the token: polls spaced by at least the interval',
  async t => {
    const s = await scripted(deviceResponse({ interval: 0.2 }), [PENDING, PENDING, PENDING, SUCCESS])
    const updates: unknown[] = []
    const c = client(s.server, { updateToken: (token, context) => void updates.push({ token, context }) })
    const authorization = await c.deviceAuthorization()
    const issued = Date.now()
    const token = await c.pollDeviceToken(authorization)
    const polls = s.polls()
    t.equal(polls.length, 4, 'three pending answers, then the token')
    t.ok(
      polls[0]! - issued >= 200 - CLOCK_SLACK,
      `the first poll waits the interval (${polls[0]! - issued} ms)`,
    )
    for (const gap of gaps(polls)) t.ok(gap >= 200 - CLOCK_SLACK, `polls ${gap} ms apart (interval 200 ms)`)
    const form = s.received.find(r => r.path === '/token')!.form
    t.same(Object.fromEntries(form), { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'the-device-code' })
    t.equal(token.access_token, TOKEN.access_token)
    t.equal(c.token?.access_token, TOKEN.access_token, 'the client holds the token')
    t.same(
      updates,
      [{ token, context: { source: 'endpoint' } }],
      'updateToken is called once, with the token',
    )
    const { body } = await c.get(`${s.server.url}/resource`)
    t.same(await body.json(), { authorization: `Bearer ${TOKEN.access_token}` }, 'and uses it')
  },
)

t.test('slow_down adds 5 s to the interval for the rest of the poll', async t => {
  const s = await scripted(deviceResponse({ interval: 0.1 }), [
    PENDING,
    { status: 400, body: { error: 'slow_down' } },
    PENDING,
    SUCCESS,
  ])
  const c = client(s.server)
  await c.pollDeviceToken(await c.deviceAuthorization())
  const [before, afterSlowDown, later] = gaps(s.polls())
  t.ok(before! >= 100 - CLOCK_SLACK && before! < 2_000, `before slow_down: ${before} ms`)
  t.ok(
    afterSlowDown! >= 5_100 - CLOCK_SLACK && afterSlowDown! < 7_000,
    `after slow_down: ${afterSlowDown} ms`,
  )
  t.ok(later! >= 5_100 - CLOCK_SLACK && later! < 7_000, `and it stays: ${later} ms`)
})

t.test('access_denied and expired_token end the poll with an OAuthError', async t => {
  for (const error of ['access_denied', 'expired_token']) {
    const s = await scripted(deviceResponse(), [
      PENDING,
      { status: 400, body: { error, error_description: 'the user said no' } },
    ])
    const c = client(s.server)
    await t.rejects(
      c.pollDeviceToken(await c.deviceAuthorization()),
      oauthError(error, { constructor: OAuthError, description: 'the user said no', statusCode: 400 }),
      error,
    )
    t.equal(s.polls().length, 2, `${error}: no poll after it`)
    t.equal(c.token, undefined, `${error}: no token held`)
  }
})

t.test(
  '429 and 503 wait as Retry-After says, never less than the interval, and are not retried early',
  async t => {
    const s = await scripted(deviceResponse({ interval: 0.1 }), [
      { status: 503, body: {}, headers: { 'retry-after': '1' } },
      { status: 429, body: { error: 'too_many' } },
      SUCCESS,
    ])
    const c = client(s.server) // tokenRetries stays at its default: the poll owns its timing
    await c.pollDeviceToken(await c.deviceAuthorization())
    const [afterBusy, afterTooMany] = gaps(s.polls())
    t.equal(s.polls().length, 3, 'one request per answer')
    t.ok(afterBusy! >= 1_000 - CLOCK_SLACK && afterBusy! < 2_500, `503 Retry-After: 1 -> ${afterBusy} ms`)
    t.ok(afterTooMany! >= 100 - CLOCK_SLACK && afterTooMany! < 1_000, `429 without it -> ${afterTooMany} ms`)
  },
)

t.test('the whole poll ends at expires_in', async t => {
  const s = await scripted(deviceResponse({ interval: 0.3, expires_in: 1 }), [PENDING])
  const c = client(s.server)
  const authorization = await c.deviceAuthorization()
  const started = Date.now()
  await t.rejects(c.pollDeviceToken(authorization), {
    constructor: OAuthError,
    error: 'expired_token',
    message: /expired before the user approved/,
  })
  const elapsed = Date.now() - started
  t.ok(elapsed < 1_300, `ends when no poll fits before the expiry (${elapsed} ms)`)
  t.ok(s.polls().length >= 1 && s.polls().length <= 3, `${s.polls().length} polls in 1 s at 0.3 s`)
  for (const at of s.polls()) t.ok(at <= authorization.expires_at * 1000, 'no poll after the expiry')
})

t.test('an aborted signal stops the poll at once and leaves no timer', async t => {
  const s = await scripted(deviceResponse({ interval: 5 }), [PENDING])
  const c = client(s.server)
  const authorization = await c.deviceAuthorization()
  await c.close() // no keep-alive socket of the client holds a timer either
  const poller = new OAuth2Client({ clientId: 'device-client', tokenEndpoint: `${s.server.url}/token` })
  const timersBefore = process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  const controller = new AbortController()
  const polling = poller.pollDeviceToken(authorization, { signal: controller.signal })
  await new Promise(resolve => setTimeout(resolve, 50))
  const reason = new Error('user went away')
  const aborted = Date.now()
  controller.abort(reason)
  await t.rejects(polling, reason, 'rejects with the signal reason')
  t.ok(Date.now() - aborted < 500, 'at once, not at the end of the 5 s wait')
  t.equal(s.polls().length, 0, 'no poll was sent')
  const timersAfter = process.getActiveResourcesInfo().filter(kind => kind === 'Timeout').length
  t.ok(timersAfter <= timersBefore, `the wait left no timer behind (${timersBefore} -> ${timersAfter})`)

  await t.rejects(poller.pollDeviceToken(authorization, { signal: AbortSignal.abort(reason) }), reason)
  await poller.close()
})

t.test('an abort while a poll is in flight, and destroy() during the wait, end it too', async t => {
  let release: (() => void) | undefined
  const slow = await startServer((req, res) => {
    if (req.url === '/token') {
      release = () => {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify(PENDING.body))
      }
      return
    }
    res.end()
  })
  t.teardown(slow.close)
  const c = client(slow)
  const authorization = { ...(deviceResponse({ interval: 0.05 }) as DeviceAuthorization) }
  authorization.expires_at = Date.now() / 1000 + 60
  const controller = new AbortController()
  const polling = c.pollDeviceToken(authorization, { signal: controller.signal })
  for (let i = 0; i < 200 && release === undefined; i++) await new Promise(r => setTimeout(r, 10))
  t.ok(release, 'the poll reached the server')
  controller.abort(new Error('stop'))
  await t.rejects(polling, { message: 'stop' })
  release!()

  const s = await scripted(deviceResponse({ interval: 5 }), [PENDING])
  const d = client(s.server)
  const waiting = d.pollDeviceToken(await d.deviceAuthorization())
  await new Promise(resolve => setTimeout(resolve, 20))
  const ended = t.rejects(waiting, ClientClosedError, 'destroy() ends the wait')
  await d.destroy()
  await ended
  await t.rejects(d.pollDeviceToken(authorization), ClientClosedError, 'and a closed client polls no more')
})

t.test(
  'pollDeviceToken checks what it is given, and a bad token answer is an InvalidResponseError',
  async t => {
    const s = await scripted(deviceResponse(), [
      { status: 200, body: { access_token: 'x', token_type: 'MAC' } },
    ])
    const c = client(s.server)
    await t.rejects(c.pollDeviceToken({} as DeviceAuthorization), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
      message: /deviceAuthorization\(\) returned/,
    })
    const authorization = await c.deviceAuthorization()
    await t.rejects(c.pollDeviceToken({ ...authorization, expires_at: Number.NaN }), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
    })
    await t.rejects(c.pollDeviceToken(authorization, { sginal: undefined } as never), {
      code: 'ERR_OAUTH_INVALID_ARGUMENT',
      message: /signal/,
    })
    await t.rejects(c.pollDeviceToken(authorization), {
      constructor: InvalidResponseError,
      message: /Bearer/,
    })
  },
)
