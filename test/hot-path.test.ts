// The request hot path's building blocks: the per-session URL cache, the lazily parsed
// PreparedRequest, the abort handle's release hook, and the deadline sweep.
import t from 'tap'
import { prepareRequest, TargetCache } from '../lib/http/prepare.js'
import type { PreparedRequest } from '../lib/http/prepared-request.js'
import { RequestAbort } from '../lib/http/request-abort.js'
import { Session } from '../lib/session.js'
import { echo, startServer } from './fixtures/http-server.js'

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
