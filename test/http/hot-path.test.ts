// The request hot path's building blocks: the per-session URL cache, the lazily parsed
// PreparedRequest, the abort handle's release hook, and the deadline sweep.
import { getEventListeners } from 'node:events'
import t from 'tap'
import type { Dispatcher } from 'undici'
import { exchangeEndInterceptor } from '../../lib/http/exchange-end.js'
import { prepareRequest, TargetCache } from '../../lib/http/prepare.js'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { RequestAbort } from '../../lib/http/request-abort.js'
import { RequestTimeoutError, Session } from '../../lib/session.js'
import { echo, eventually, startServer } from '../fixtures/http-server.js'

t.test('TargetCache: one parse per URL, relative to the base, bounded', async t => {
  const cache = new TargetCache(new URL('http://h:1/base/'))
  const first = cache.resolve('p?q=1#frag')
  t.same(first, {
    href: 'http://h:1/base/p?q=1#frag',
    origin: 'http://h:1',
    path: '/base/p?q=1',
    secure: false,
  })
  t.equal(cache.resolve('p?q=1#frag'), first, 'a repeated URL is not parsed again')
  t.equal(cache.resolve(new URL('http://h:1/base/p?q=1#frag')).href, first.href, 'a URL object by its href')
  t.equal(cache.resolve('http://example.com/').secure, false, 'http to a non-loopback host')
  t.equal(cache.resolve('https://example.com/').secure, true)
  for (let i = 0; i < 300; i++) cache.resolve(`/n/${i}`)
  t.not(cache.resolve('p?q=1#frag'), first, 'the cache starts over once full')
  t.throws(() => cache.resolve('http://[bad'), TypeError)
})

t.test('PreparedRequest: url parsed only when read; origin and path follow a hook', async t => {
  const targets = new TargetCache(undefined)
  const request = prepareRequest('http://127.0.0.1:1/a?x=1', {}, 'GET', targets, undefined, {})
  t.equal(request.path, '/a?x=1')
  t.equal(request.secure, true)
  request.url.searchParams.append('y', '2')
  t.equal(request.path, '/a?x=1&y=2', 'a change through `url` is sent')
  request.url = new URL('http://example.com/b')
  t.same([request.origin, request.path, request.secure], ['http://example.com', '/b', false])
  const again = prepareRequest('http://127.0.0.1:1/a?x=1', {}, undefined, targets, undefined, {})
  t.equal(again.url.href, 'http://127.0.0.1:1/a?x=1', 'the cached target is never changed by a hook')
  const queried = prepareRequest('http://h/p?x=1', { query: { y: 2 } }, 'POST', targets, undefined, {})
  t.same([queried.method, queried.path], ['POST', '/p?x=1&y=2'])
})

t.test('RequestAbort: released when the last listener goes, or at once when none is left', async t => {
  const released: RequestAbort[] = []
  const abort = new RequestAbort(Date.now() + 1000, 1000)
  const listener = () => {}
  abort.addEventListener('abort', listener)
  abort.whenReleased(a => released.push(a))
  t.equal(released.length, 0, 'undici still holds the request')
  abort.removeEventListener('abort', () => {})
  t.equal(released.length, 0, 'an unknown listener changes nothing')
  abort.removeEventListener('abort', listener)
  t.same(released, [abort], 'released with the last listener')
  abort.removeEventListener('abort', listener)
  t.equal(released.length, 1, 'released once')
  const idle = new RequestAbort(0, 1)
  idle.whenReleased(a => released.push(a))
  t.equal(released[1], idle, 'no listener left: released at once')
  const aborted = new RequestAbort(0, 1)
  aborted.addEventListener('abort', listener)
  aborted.abort(new Error('gone'))
  aborted.whenReleased(a => released.push(a))
  t.equal(released[2], aborted, 'an aborted handle holds no listener')
  t.equal(aborted.signal.aborted, true, 'a signal asked for later is aborted too')
  const unheard = new RequestAbort(0, 1)
  unheard.abort(new Error('nobody listens'))
  t.equal(unheard.aborted, true, 'aborted with no listener at all')
})

t.test(
  'RequestAbort: any number of listeners, each called once on abort, released with the last',
  async t => {
    const calls: string[] = []
    const released: RequestAbort[] = []
    const abort = new RequestAbort(Date.now() + 1000, 1000)
    const first = () => calls.push('first')
    const second = () => calls.push('second')
    const third = () => calls.push('third')
    abort.addEventListener('abort', first)
    abort.addEventListener('abort', second)
    abort.addEventListener('abort', third)
    abort.removeEventListener('abort', second)
    abort.whenReleased(a => released.push(a))
    abort.removeEventListener('abort', first)
    t.equal(released.length, 0, 'a listener is still there')
    abort.addEventListener('abort', second)
    abort.abort(new Error('gone'))
    abort.abort(new Error('again'))
    t.same(calls.sort(), ['second', 'third'], 'the listeners still there, once each')
    abort.removeEventListener('abort', third)
    t.equal(released.length, 1, 'released when the last listener goes')
  },
)

t.test('the deadline sweep aborts a body nobody reads; the next request still works', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  const session = new Session({ baseUrl: server.url, timeout: 200 })
  const unread = await session.get('/unread')
  const started = Date.now()
  await new Promise(resolve => unread.body.once('error', resolve))
  t.ok(unread.body.destroyed, 'the unread body is destroyed at the deadline')
  t.ok(Date.now() - started < 1_200, 'within the deadline + 1 s')
  const { body } = await session.get('/next')
  await body.dump()
  await session.close()
  t.notOk(
    process.getActiveResourcesInfo().includes('Timeout'),
    'no timer left once nothing is in flight and the session is closed',
  )
})

t.test('a caller signal is let go when the request ends; aborting it later changes nothing', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url })
  const controller = new AbortController()
  const { body } = await session.get('/', { signal: controller.signal })
  await body.dump()
  controller.abort(new Error('too late'))
  t.equal(body.destroyed, true)
  const seen: string[] = []
  class Hooked extends Session {
    protected override authorize(request: PreparedRequest): void {
      seen.push(request.url.pathname)
    }
  }
  await using hooked = new Hooked({ baseUrl: server.url })
  await (await hooked.get('/touched')).body.dump()
  t.same(seen, ['/touched'])
})

t.test('fetch runs under the session deadline too, body included, with no timer of its own', async t => {
  let stall = true
  const server = await startServer((req, res) => {
    if (req.url === '/hop') res.writeHead(302, { location: '/slow-body' }).end()
    else if (req.url === '/slow-body') {
      // Headers and a first chunk, then the rest only when stall is lifted.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4 })
      res.write('ok')
      if (!stall) res.end('!!')
    } else if (stall)
      req.resume() // never answers
    else res.end('fine')
  })
  t.teardown(server.close)
  const session = new Session({ baseUrl: server.url, timeout: 300 })
  let started = Date.now()
  await t.rejects(session.fetch('/silent'), RequestTimeoutError, 'a fetch nobody answers')
  await t.rejects(session.fetch('http://[bad'), TypeError, 'an unreadable URL rejects')
  t.ok(Date.now() - started < 1_300, 'rejected within the deadline + 1 s')
  const response = await session.fetch('/hop')
  t.equal(response.status, 200, 'after a redirect hop')
  started = Date.now()
  await t.rejects(response.text(), RequestTimeoutError, 'a body that stops arriving')
  t.ok(Date.now() - started < 1_300, 'its body rejected within the deadline + 1 s')
  stall = false
  t.equal(await (await session.fetch('/hop')).text(), 'ok!!', 'the next fetch works, hop and body')
  await session.close()
  t.notOk(
    process.getActiveResourcesInfo().includes('Timeout'),
    'no timer left: every fetch ended with its body, and the sweep stopped',
  )
})

t.test('fetch: a long-lived caller signal holds no listener once each fetch is over', async t => {
  const server = await startServer((req, res, body) => {
    if (req.url !== '/stalled-body') return echo(req, res, body)
    res.writeHead(200, { 'content-length': 4 })
    res.write('ok')
  })
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url })
  const controller = new AbortController()
  for (let i = 0; i < 50; i++) await (await session.fetch(`/n/${i}`, { signal: controller.signal })).text()
  t.equal(getEventListeners(controller.signal, 'abort').length, 0, 'every listener was removed')
  const pending = await session.fetch('/stalled-body', { signal: controller.signal })
  const reason = new Error('the caller gave up')
  const reading = pending.text()
  controller.abort(reason)
  await t.rejects(reading, reason, "the caller's reason, for a body that was already on its way")
  await t.rejects(
    session.fetch('/', { signal: controller.signal }),
    reason,
    'an aborted signal: nothing sent',
  )
  const other = new AbortController()
  const ownSignal = session.fetch(new Request(`${server.url}/stalled-body`, { signal: other.signal }))
  other.abort(reason)
  await t.rejects(ownSignal, reason, "a Request's own signal is honoured")
  const posted = await session.fetch(new Request(`${server.url}/p`, { method: 'POST', body: 'a=1' }), {
    headers: { 'x-init': 'wins' },
  })
  const echoed = (await posted.json()) as { method: string; body: string; headers: Record<string, string> }
  t.same(
    [echoed.method, echoed.body, echoed.headers['x-init']],
    ['POST', 'a=1', 'wins'],
    "a global Request's method and body, with the caller's init on top",
  )
})

t.test(
  'one caller signal shared by 64 concurrent requests and fetches: one listener, all aborted',
  async t => {
    let holding = 0
    const server = await startServer((req, res, body) => {
      if (req.url !== '/hold') return echo(req, res, body)
      holding++ // answers nothing until the caller gives up
      req.resume()
    })
    t.teardown(server.close)
    await using session = new Session({ baseUrl: server.url, connections: 128 })
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    t.teardown(() => process.off('warning', onWarning))
    const controller = new AbortController()
    const { signal } = controller
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        await (await session.get(`/ok/${i}`, { signal })).body.dump()
        await (await session.fetch(`/ok/${i}`, { signal })).arrayBuffer()
      }),
    )
    t.equal(getEventListeners(signal, 'abort').length, 0, 'none left once they are over')
    const held = [
      ...Array.from({ length: 32 }, () => session.get('/hold', { signal })),
      ...Array.from({ length: 32 }, () => session.fetch('/hold', { signal })),
    ]
    await eventually(() => holding === 64)
    t.equal(getEventListeners(signal, 'abort').length, 1, 'one listener for 64 requests in flight')
    const reason = new Error('shutting down')
    controller.abort(reason)
    const outcomes = await Promise.allSettled(held)
    t.ok(
      outcomes.every(outcome => outcome.status === 'rejected' && outcome.reason === reason),
      "every request rejected with the caller's reason",
    )
    // Node emits its warning on the next tick after the 11th listener.
    await new Promise(resolve => setImmediate(resolve))
    t.same(
      warnings.filter(warning => warning.name === 'MaxListenersExceededWarning'),
      [],
      'no MaxListenersExceededWarning',
    )
  },
)

t.test('exchangeEndInterceptor: one start and one end per dispatch, whichever way it ends', async t => {
  const events: string[] = []
  const observe = exchangeEndInterceptor(
    () => events.push('start'),
    () => events.push('end'),
  )
  const seen: string[] = []
  const handler: Dispatcher.DispatchHandler = {
    onResponseEnd: () => {
      seen.push('handler end')
      throw new Error('a throwing handler')
    },
    onResponseError: () => seen.push('handler error'),
  }
  // A dispatcher that, like undici's core, reports a throwing onResponseEnd through onResponseError.
  const dispatch = observe((_opts, wrapped) => {
    const controller = {} as Dispatcher.DispatchController
    try {
      wrapped.onResponseEnd?.(controller, {})
    } catch (err) {
      wrapped.onResponseError?.(controller, err as Error)
    }
    return true
  })
  dispatch({ path: '/', method: 'GET' }, handler)
  t.same(events, ['start', 'end'], 'ended once')
  t.same(seen, ['handler end', 'handler error'], 'the handler saw both, in order')
})
