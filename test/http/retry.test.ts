// The transient-failure policy of token-endpoint calls, driven directly: each attempt is a real
// request to a loopback server scripted to fail a given way.
import { getEventListeners } from 'node:events'
import t, { type Test } from 'tap'
import { Agent, type Dispatcher } from 'undici'
import { retryAfter, sendWithRetries } from '../../lib/http/retry.js'
import { startServer } from '../fixtures/http-server.js'

type Answer = { status: number; headers?: Record<string, string> } | 'reset'

/** A server that answers its requests with `answers` in turn (the last one repeated). */
async function scripted(t: Test, answers: Answer[]) {
  let calls = 0
  const server = await startServer((req, res) => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!
    if (answer === 'reset') return req.socket.destroy()
    res.writeHead(answer.status, answer.headers).end(String(answer.status))
  })
  const agent = new Agent()
  t.teardown(async () => {
    await agent.close()
    await server.close()
  })
  const attempt = (): Promise<Dispatcher.ResponseData> =>
    agent.request({ origin: server.url, path: '/token', method: 'POST', body: 'grant_type=x' })
  return { attempt, calls: () => calls }
}

const policy = (overrides: Partial<Parameters<typeof sendWithRetries>[1]> = {}) => ({
  retries: 2,
  notAfter: Date.now() + 30_000,
  ...overrides,
})

t.test('Retry-After: delay-seconds and HTTP-date, in ms from now', async t => {
  t.equal(retryAfter(undefined), undefined)
  t.equal(retryAfter(' 3 '), 3000)
  t.equal(retryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000)
  t.equal(retryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:28:10 GMT')), 0)
  t.equal(retryAfter('soon'), undefined)
})

t.test('429, 502, 503 and 504 are repeated, honouring Retry-After, at most `retries` times', async t => {
  const { attempt, calls } = await scripted(t, [
    { status: 503, headers: { 'retry-after': '0' } },
    { status: 429, headers: { 'retry-after': '0' } },
    { status: 200 },
  ])
  const response = await sendWithRetries(attempt, policy())
  t.equal(response.statusCode, 200)
  await response.body.dump()
  t.equal(calls(), 3)
  const always = await scripted(t, [{ status: 502, headers: { 'retry-after': '0' } }])
  const last = await sendWithRetries(always.attempt, policy())
  t.equal(last.statusCode, 502, 'the last answer is returned once the retries are spent')
  await last.body.dump()
  t.equal(always.calls(), 3)
})

t.test('other 4xx and 5xx are never repeated; neither is anything with retries: 0', async t => {
  for (const status of [400, 401, 500]) {
    const { attempt, calls } = await scripted(t, [{ status }])
    const response = await sendWithRetries(attempt, policy())
    await response.body.dump()
    t.equal(calls(), 1, `${status} once`)
  }
  const { attempt, calls } = await scripted(t, [{ status: 503, headers: { 'retry-after': '0' } }])
  const response = await sendWithRetries(attempt, policy({ retries: 0 }))
  await response.body.dump()
  t.equal(calls(), 1)
})

t.test('a wait that would end past notAfter is not started', async t => {
  const { attempt, calls } = await scripted(t, [{ status: 503, headers: { 'retry-after': '60' } }])
  const response = await sendWithRetries(attempt, policy({ notAfter: Date.now() + 5_000 }))
  t.equal(response.statusCode, 503)
  await response.body.dump()
  t.equal(calls(), 1)
})

t.test('onlyIfUnsent: an answered request (even a 503) or a dropped connection is not repeated', async t => {
  const answered = await scripted(t, [{ status: 503, headers: { 'retry-after': '0' } }, { status: 200 }])
  const response = await sendWithRetries(answered.attempt, policy({ onlyIfUnsent: true }))
  t.equal(response.statusCode, 503)
  await response.body.dump()
  t.equal(answered.calls(), 1)
  const reset = await scripted(t, ['reset', { status: 200 }])
  await t.rejects(sendWithRetries(reset.attempt, policy({ onlyIfUnsent: true })))
  t.equal(reset.calls(), 1, 'the server may have read it: never sent again')
})

t.test('a connection that died before answering is repeated once, without onlyIfUnsent', async t => {
  const once = await scripted(t, ['reset', { status: 200 }])
  const response = await sendWithRetries(once.attempt, policy())
  t.equal(response.statusCode, 200)
  await response.body.dump()
  t.equal(once.calls(), 2)
  const twice = await scripted(t, ['reset', 'reset', { status: 200 }])
  await t.rejects(sendWithRetries(twice.attempt, policy()), 'a second dead connection is not retried')
  t.equal(twice.calls(), 2)
})

t.test('a refused connection (nothing sent) is repeated with backoff, even with onlyIfUnsent', async t => {
  const server = await startServer((_req, res) => res.end())
  const url = server.url
  await server.close()
  const agent = new Agent()
  t.teardown(() => agent.close())
  let calls = 0
  const attempt = () => {
    calls++
    return agent.request({ origin: url, path: '/token', method: 'POST' })
  }
  await t.rejects(sendWithRetries(attempt, policy({ onlyIfUnsent: true })), { code: 'ECONNREFUSED' })
  t.equal(calls, 3)
})

t.test('the wait ends at once when the signal or the lifetime aborts, one listener each', async t => {
  for (const which of ['signal', 'lifetime'] as const) {
    const { attempt, calls } = await scripted(t, [{ status: 503, headers: { 'retry-after': '20' } }])
    const controller = new AbortController()
    const waiting = Array.from({ length: 20 }, () =>
      sendWithRetries(attempt, policy({ [which]: controller.signal })).then(
        () => 'resolved',
        (err: unknown) => err,
      ),
    )
    while (calls() < 20) await new Promise(resolve => setTimeout(resolve, 5))
    await new Promise(resolve => setTimeout(resolve, 20))
    t.equal(getEventListeners(controller.signal, 'abort').length, 1, `${which}: one listener for 20 waits`)
    controller.abort(new Error(`stop (${which})`))
    const outcomes = await Promise.all(waiting)
    t.ok(
      outcomes.every(o => o instanceof Error && o.message === `stop (${which})`),
      `${which}: every wait rejected with the reason`,
    )
    t.equal(getEventListeners(controller.signal, 'abort').length, 0)
  }
})
