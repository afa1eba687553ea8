// The renewal queue on its own: single flight, one at a time, a deadline per renewal, failures
// shared by every waiter and nothing left unhandled.
import { getEventListeners } from 'node:events'
import t from 'tap'
import { RefreshQueue } from '../../lib/oauth2/refresh-queue.js'

/** The client its diagnostics events would name (test/diagnostics.test.ts subscribes to them). */
const who = () => ({ clientType: 'RefreshQueueTest', clientId: undefined })

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

t.test('shared: concurrent callers join one renewal and get its result', async t => {
  const queue = new RefreshQueue<string>(() => 1_000, who)
  let runs = 0
  const gate = deferred<string>()
  const renewal = () => {
    runs++
    return gate.promise
  }
  const waiting = Array.from({ length: 100 }, () => queue.shared(renewal))
  gate.resolve('token-1')
  t.same(new Set(await Promise.all(waiting)), new Set(['token-1']))
  t.equal(runs, 1)
  // Once settled, the next shared call starts a new renewal.
  await queue.shared(async () => {
    runs++
    return 'token-2'
  })
  t.equal(runs, 2)
})

t.test('exclusive renewals run one at a time, after the pending shared one', async t => {
  const queue = new RefreshQueue<string>(() => 1_000, who)
  const order: string[] = []
  let running = 0
  let most = 0
  const step = (name: string) => async () => {
    running++
    most = Math.max(most, running)
    order.push(`start ${name}`)
    await new Promise(resolve => setTimeout(resolve, 10))
    order.push(`end ${name}`)
    running--
    return name
  }
  const results = await Promise.all([
    queue.shared(step('a')),
    queue.exclusive(step('b')),
    queue.exclusive(step('c')),
  ])
  t.same(results, ['a', 'b', 'c'])
  t.equal(most, 1, 'never two at once')
  t.same(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
})

t.test('a failed renewal rejects every waiter with the same error and leaves the queue usable', async t => {
  const queue = new RefreshQueue<string>(() => 1_000, who)
  const failure = new Error('invalid_grant')
  const waiting = Array.from({ length: 10 }, () =>
    queue.shared(() => Promise.reject(failure)).catch((err: unknown) => err),
  )
  const errors = await Promise.all(waiting)
  t.ok(errors.every(err => err === failure))
  t.equal(await queue.shared(async () => 'recovered'), 'recovered')
})

t.test('each renewal has its own deadline: its signal aborts and its waiters reject', async t => {
  const queue = new RefreshQueue<string>(() => 50, who)
  let seen: AbortSignal | undefined
  let notAfter = 0
  const started = Date.now()
  const stalled = queue.shared((signal, deadline) => {
    seen = signal
    notAfter = deadline
    return new Promise<string>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
  })
  await t.rejects(stalled, {
    code: 'ERR_OAUTH_REQUEST_TIMEOUT',
    message: /token renewal did not complete within 50 ms/,
  })
  t.ok(seen?.aborted)
  t.ok(notAfter >= started + 50 && notAfter <= Date.now() + 50)
  t.equal(await queue.shared(async () => 'next'), 'next', 'the queue goes on')
})

t.test("a caller's signal abandons only its own wait; the renewal goes on for the others", async t => {
  const queue = new RefreshQueue<string>(() => 1_000, who)
  const gate = deferred<string>()
  const controller = new AbortController()
  const leaving = Array.from({ length: 30 }, () => queue.shared(() => gate.promise, controller.signal))
  const staying = queue.shared(() => gate.promise)
  t.equal(getEventListeners(controller.signal, 'abort').length, 1, 'one listener for 30 waits')
  controller.abort(new Error('caller gave up'))
  for (const wait of leaving) await t.rejects(wait, { message: 'caller gave up' })
  gate.resolve('token')
  t.equal(await staying, 'token')
  await t.rejects(
    queue.shared(async () => 'x', controller.signal),
    { message: 'caller gave up' },
  )
  await t.rejects(
    queue.exclusive(async () => 'x', controller.signal),
    { message: 'caller gave up' },
  )
})
