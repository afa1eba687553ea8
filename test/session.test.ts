import { connect, type Socket } from 'node:net'
import { inspect } from 'node:util'
import t from 'tap'
import { Agent, interceptors, request as undiciRequest } from 'undici'
import { ClientClosedError, InsecureTransportError } from '../lib/errors.js'
import type { PreparedRequest } from '../lib/http/prepared-request.js'
import { RequestTimeoutError, Session } from '../lib/session.js'
import { echo, eventually, startServer } from './fixtures/http-server.js'

/** A session whose credentials step adds one header, as the OAuth clients add theirs. */
class HeaderSession extends Session {
  calls = 0
  protected override authorize(request: PreparedRequest): void {
    this.calls++
    request.headers['x-credential'] = 'secret-value'
  }
}

interface Echo {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

t.test('keep-alive: 1,000 sequential then 1,000 concurrent GETs stay within `connections`', async t => {
  const server = await startServer((_req, res) => res.end('ok'))
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url, connections: 8 })
  for (let i = 0; i < 1_000; i++) {
    const { statusCode, body } = await session.get('/seq')
    await body.dump()
    t.equal(statusCode, 200)
  }
  // undici may open a second socket when a request starts in the instant before the previous
  // one is marked complete; one per request would be a keep-alive failure.
  t.ok(server.connections <= 2, `sequential requests reuse their socket (${server.connections})`)
  let next = 0
  const worker = async () => {
    while (next < 1_000) {
      next++
      const { body } = await session.get('/par')
      await body.text()
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  t.ok(server.connections <= 8, `${server.connections} sockets for connections: 8`)
  t.ok(server.connections > 1, 'concurrency actually used several sockets')
})

t.test('the default pool holds at most 64 sockets per origin', async t => {
  const server = await startServer((_req, res) => setTimeout(() => res.end('ok'), 5))
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url })
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      const { body } = await session.get('/')
      await body.dump()
    }),
  )
  t.ok(server.connections <= 64 && server.connections > 8, `${server.connections} sockets`)
})

t.test('await using closes every socket at the end of the block', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  {
    await using session = new Session({ baseUrl: server.url })
    await Promise.all(Array.from({ length: 10 }, () => session.get('/').then(r => r.body.dump())))
    t.ok(server.openSockets.size > 0, 'sockets open inside the block')
  }
  await eventually(() => server.openSockets.size === 0)
  t.equal(server.openSockets.size, 0, 'the server sees every socket closed')
})

t.test('close(): rejects new requests, lets in-flight ones finish, is idempotent', async t => {
  const server = await startServer((_req, res) => setTimeout(() => res.end('done'), 100))
  t.teardown(server.close)
  const session = new Session({ baseUrl: server.url })
  const inFlight = Array.from({ length: 64 }, () => session.get('/').then(r => r.body.text()))
  await new Promise(resolve => setTimeout(resolve, 20))
  const closing = session.close()
  t.equal(session.closed, true)
  await t.rejects(session.get('/'), ClientClosedError)
  await t.rejects(session.fetch('/'), ClientClosedError)
  const bodies = await Promise.all(inFlight)
  t.equal(bodies.length, 64)
  t.ok(
    bodies.every(b => b === 'done'),
    'all 64 completed',
  )
  await closing
  await session.close()
  t.pass('close() twice resolves')
  await eventually(() => server.openSockets.size === 0)
})

t.test('close() waits for requests and fetches still in their credentials step', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  const releases: (() => void)[] = []
  class SlowSession extends Session {
    protected override authorize(): Promise<void> {
      return new Promise(resolve => {
        releases.push(resolve)
      })
    }
  }
  const session = new SlowSession({ baseUrl: server.url })
  const pending = session.get('/')
  const fetched = session.fetch('/f')
  await eventually(() => releases.length === 2)
  const closing = session.close()
  releases[0]!() // the request's; the fetch still waits
  const response = await pending
  t.equal(response.statusCode, 200)
  await response.body.dump()
  // Had close() stopped waiting with the request, it would have closed the pool by now.
  await new Promise(resolve => setTimeout(resolve, 50))
  releases[1]!()
  const fetchedResponse = await fetched
  t.equal(fetchedResponse.status, 200, 'the fetch was sent before the pool closed')
  await fetchedResponse.arrayBuffer()
  await closing
})

t.test('destroy() aborts in-flight requests with an error', async t => {
  const server = await startServer(() => {})
  t.teardown(server.close)
  const session = new Session({ baseUrl: server.url })
  const settled = Promise.allSettled(Array.from({ length: 8 }, () => session.get('/')))
  await new Promise(resolve => setTimeout(resolve, 50))
  await session.destroy()
  const results = await settled
  t.ok(results.every(r => r.status === 'rejected' && r.reason instanceof ClientClosedError))
  await t.rejects(session.get('/'), ClientClosedError)
  await eventually(() => server.openSockets.size === 0)
})

t.test('a user-supplied dispatcher is wrapped, never closed', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  const agent = new Agent()
  t.teardown(() => agent.close())
  const session = new HeaderSession({ dispatcher: agent })
  const echoed = (await (await session.get(`${server.url}/a`)).body.json()) as Echo
  t.equal(echoed.headers['x-credential'], 'secret-value')
  await session.close()
  await session.destroy()
  const { statusCode, body } = await undiciRequest(`${server.url}/after`, { dispatcher: agent })
  await body.dump()
  t.equal(statusCode, 200, 'the agent still works')
})

t.test(
  'a user-supplied dispatcher whose request() throws: the call rejects and close() still ends',
  async t => {
    class ThrowingAgent extends Agent {
      override request(): never {
        throw new Error('refused by the dispatcher')
      }
    }
    const agent = new ThrowingAgent()
    t.teardown(() => agent.close())
    const session = new HeaderSession({ dispatcher: agent })
    await t.rejects(session.get('http://127.0.0.1:1/x'), { message: 'refused by the dispatcher' })
    await session.close()
    t.equal(session.closed, true, 'close() did not wait for the failed request')
  },
)

t.test('a server that never answers: rejected at the deadline, then the next request works', async t => {
  let stall = true
  const server = await startServer((_req, res) => {
    if (!stall) res.end('late but fine')
  })
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url, timeout: 300 })
  const started = Date.now()
  await t.rejects(session.get('/'), RequestTimeoutError)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 290 && elapsed < 1_300, `rejected after ${elapsed} ms`)
  stall = false
  const { body } = await session.get('/')
  t.equal(await body.text(), 'late but fine')
  await t.rejects(session.get('/', { timeout: 0 }), /option `timeout` must be a positive/)
})

t.test('the deadline also covers a body that stops arriving', async t => {
  const server = await startServer((_req, res) => {
    res.writeHead(200)
    res.write('partial')
  })
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url, timeout: 300 })
  const { body } = await session.get('/')
  await t.rejects(body.text(), RequestTimeoutError)
})

t.test('an aborted signal rejects at once; aborting mid-flight rejects with its reason', async t => {
  const server = await startServer(() => {})
  t.teardown(server.close)
  await using session = new Session({ baseUrl: server.url })
  const reason = new Error('caller gave up')
  const started = Date.now()
  await t.rejects(session.get('/', { signal: AbortSignal.abort(reason) }), reason)
  t.ok(Date.now() - started < 250, 'rejected at once')
  const controller = new AbortController()
  const pending = session.get('/', { signal: controller.signal })
  setTimeout(() => controller.abort(reason), 20)
  await t.rejects(pending, reason)
})

t.test('request, fetch and the dispatcher all pass through the credentials step', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  await using session = new HeaderSession({ baseUrl: server.url })
  const viaRequest = (await (await session.request('/r')).body.json()) as Echo
  t.equal(viaRequest.headers['x-credential'], 'secret-value')
  const viaFetch = (await (await session.fetch('/f')).json()) as Echo
  t.equal(viaFetch.headers['x-credential'], 'secret-value')
  const callerHeaders = { 'x-mine': '1' }
  const viaDispatcher = (await (
    await undiciRequest(`${server.url}/d`, { dispatcher: session.dispatcher, headers: callerHeaders })
  ).body.json()) as Echo
  t.equal(viaDispatcher.headers['x-credential'], 'secret-value')
  t.equal(viaDispatcher.headers['x-mine'], '1')
  t.same(callerHeaders, { 'x-mine': '1' }, "the caller's headers object is untouched")
  const withheld = (await (await session.get('/w', { withholdToken: true })).body.json()) as Echo
  t.equal(withheld.headers['x-credential'], undefined, 'withholdToken skips the step')
  t.equal(session.calls, 3)
})

t.test('a failing credentials step rejects request, fetch and dispatcher requests', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  class Failing extends Session {
    protected override authorize(request: PreparedRequest): void | Promise<void> {
      if (request.url.pathname === '/async') return Promise.reject(new Error('async step failed'))
      throw new Error('step failed')
    }
  }
  await using session = new Failing({ baseUrl: server.url })
  await t.rejects(session.get('/'), /step failed/)
  await t.rejects(session.fetch('/'), { cause: { message: 'step failed' } })
  await t.rejects(undiciRequest(`${server.url}/`, { dispatcher: session.dispatcher }), /step failed/)
  await t.rejects(
    undiciRequest(`${server.url}/async`, { dispatcher: session.dispatcher }),
    /async step failed/,
  )
  t.equal(server.connections, 0, 'nothing was sent')
})

t.test('redirects: credentials never follow to another origin', async t => {
  const other = await startServer(echo)
  t.teardown(other.close)
  const server = await startServer((req, res, body) => {
    if (req.url === '/away') res.writeHead(302, { location: `${other.url}/landed` }).end()
    else if (req.url === '/here') res.writeHead(302, { location: '/landed' }).end()
    else if (req.url === '/post') res.writeHead(307, { location: '/landed' }).end()
    else if (req.url === '/see-other') res.writeHead(303, { location: '/landed' }).end()
    else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end()
    else echo(req, res, body)
  })
  t.teardown(server.close)
  await using session = new HeaderSession({ baseUrl: server.url, maxRedirections: 1 })
  const away = (await (
    await session.get('/away', { headers: { authorization: 'Basic abc', 'x-keep': '1' } })
  ).body.json()) as Echo
  t.equal(away.url, '/landed')
  t.equal(away.headers['x-credential'], undefined, 'no credential header at the other origin')
  t.equal(away.headers.authorization, undefined, 'no caller authorization at the other origin')
  t.equal(away.headers['x-keep'], '1')
  const here = (await (await session.get('/here')).body.json()) as Echo
  t.equal(here.url, '/landed')
  t.equal(here.headers['x-credential'], 'secret-value', 'a same-origin redirect keeps it')
  const repeated = (await (await session.post('/post', { json: { a: 1 } })).body.json()) as Echo
  t.same([repeated.method, repeated.body], ['POST', '{"a":1}'], '307 repeats method and body')
  const seeOther = (await (await session.post('/see-other', { json: { a: 1 } })).body.json()) as Echo
  t.same(
    [seeOther.method, seeOther.body, seeOther.headers['content-type']],
    ['GET', '', undefined],
    '303 becomes a GET',
  )
  const loop = await session.get('/loop')
  await loop.body.dump()
  t.equal(loop.statusCode, 302, 'the redirect budget is honoured')
  await using noFollow = new Session({ baseUrl: server.url })
  const unfollowed = await noFollow.get('/here')
  await unfollowed.body.dump()
  t.equal(unfollowed.statusCode, 302, 'maxRedirections defaults to 0')
})

t.test('fetch keeps credentials on the first origin across its own redirects', async t => {
  const other = await startServer(echo)
  t.teardown(other.close)
  const server = await startServer((_req, res) =>
    res.writeHead(302, { location: `${other.url}/landed` }).end(),
  )
  t.teardown(server.close)
  await using session = new HeaderSession({ baseUrl: server.url })
  const landed = (await (await session.fetch('/away')).json()) as Echo
  t.equal(landed.url, '/landed')
  t.equal(landed.headers['x-credential'], undefined)
})

t.test(
  "undici's redirect interceptor over session.dispatcher: credentials stay on the first origin",
  async t => {
    const other = await startServer(echo)
    t.teardown(other.close)
    const server = await startServer((req, res, body) => {
      if (req.url === '/away') res.writeHead(302, { location: `${other.url}/landed` }).end()
      else if (req.url === '/here') res.writeHead(302, { location: '/landed' }).end()
      else echo(req, res, body)
    })
    t.teardown(server.close)
    await using session = new HeaderSession({ baseUrl: server.url })
    const dispatcher = session.dispatcher.compose(interceptors.redirect({ maxRedirections: 2 }))
    const away = await undiciRequest(`${server.url}/away`, { dispatcher })
    const awayEcho = (await away.body.json()) as Echo
    t.equal(awayEcho.url, '/landed', 'the redirect was followed to the other origin')
    t.equal(awayEcho.headers['x-credential'], undefined, 'no credential header at the other origin')
    const here = (await (await undiciRequest(`${server.url}/here`, { dispatcher })).body.json()) as Echo
    t.equal(here.url, '/landed')
    t.equal(here.headers['x-credential'], 'secret-value', 'a same-origin redirect keeps it')
    const again = (await (await undiciRequest(`${other.url}/direct`, { dispatcher })).body.json()) as Echo
    t.equal(again.headers['x-credential'], 'secret-value', 'a new request to the other origin gets them')
  },
)

t.test('insecure transport: credentials only over https or to loopback', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  const v6 = await startServer(echo, '::1')
  t.teardown(v6.close)
  await using session = new HeaderSession()
  await t.rejects(session.get('http://example.invalid/'), InsecureTransportError)
  await t.rejects(session.fetch('http://example.invalid/'), {
    cause: { code: 'ERR_OAUTH_INSECURE_TRANSPORT' },
  })
  await t.rejects(
    undiciRequest('http://example.invalid/', { dispatcher: session.dispatcher }),
    InsecureTransportError,
  )
  for (const url of [`${server.url}/`, `${v6.url}/`, `http://localhost:${server.port}/`]) {
    const { statusCode, body } = await session.get(url)
    await body.dump()
    t.equal(statusCode, 200, `${url} is loopback`)
  }
  await using plain = new Session({ timeout: 2_000 })
  const plainError = await plain.get('http://example.invalid/').catch((err: Error) => err)
  t.not((plainError as Error).name, 'InsecureTransportError', 'a session without credentials is not checked')
  await using lifted = new HeaderSession({ allowInsecureTransport: true, timeout: 2_000 })
  const liftedError = await lifted.get('http://example.invalid/').catch((err: Error) => err)
  t.not((liftedError as Error).name, 'InsecureTransportError', 'allowInsecureTransport lifts the rule')
})

t.test('query, json, form, body, baseUrl and default headers', async t => {
  const server = await startServer(echo)
  t.teardown(server.close)
  await using session = new Session({
    baseUrl: `${server.url}/api/`,
    headers: { 'X-Default': 'd', 'x-over': 'default' },
  })
  const q = (await (
    await session.get('items?a=1', { query: { b: 'two words', c: [1, 2], d: undefined } })
  ).body.json()) as Echo
  t.equal(q.url, '/api/items?a=1&b=two+words&c=1&c=2')
  t.equal(q.headers['x-default'], 'd')
  const p = (await (
    await session.get('/root', { query: new URLSearchParams({ z: '1' }), headers: { 'x-over': 'mine' } })
  ).body.json()) as Echo
  t.same([p.url, p.headers['x-over']], ['/root?z=1', 'mine'])
  const j = (await (await session.post('j', { json: { hello: 'wörld' } })).body.json()) as Echo
  t.same([j.method, j.body, j.headers['content-type']], ['POST', '{"hello":"wörld"}', 'application/json'])
  const f = (await (await session.put('f', { form: { a: 'x y', b: ['1', '2'] } })).body.json()) as Echo
  t.same(
    [f.method, f.body, f.headers['content-type']],
    ['PUT', 'a=x+y&b=1&b=2', 'application/x-www-form-urlencoded'],
  )
  const b = (await (await session.patch('b', { body: new Uint8Array([104, 105]) })).body.json()) as Echo
  t.same([b.method, b.body], ['PATCH', 'hi'])
  for (const method of ['delete', 'options'] as const) {
    const r = (await (await session[method]('m')).body.json()) as Echo
    t.equal(r.method, method.toUpperCase())
  }
  const h = await session.head('h')
  await h.body.dump()
  t.equal(h.statusCode, 200)
  await t.rejects(session.post('x', { json: 1, form: { a: '1' } }), /only one of `body`, `json` and `form`/)
})

t.test('options are validated at construction with clear messages', async t => {
  t.throws(() => new Session({ timeout: -1 }), /option `timeout` must be a positive finite number, got -1/)
  t.throws(() => new Session({ connections: 1.5 }), /option `connections` must be a non-negative integer/)
  t.throws(() => new Session({ connections: 0 }), /option `connections` must be a positive integer/)
  t.throws(() => new Session({ baseUrl: 'not a url' }), /option `baseUrl` must be an absolute URL/)
  t.throws(
    () => new Session({ baseUrl: 42 as unknown as string }),
    /option `baseUrl` must be a string or URL, got 42/,
  )
  t.throws(() => new Session({ maxRedirections: -2 }), /option `maxRedirections`/)
  t.throws(() => new Session({ headers: 'x' as unknown as Record<string, string> }), /option `headers`/)
  t.throws(
    () => new Session({ allowInsecureTransport: 'yes' as unknown as boolean }),
    /option `allowInsecureTransport` must be a boolean/,
  )
  t.throws(
    () => new Session({ dispatcher: {} as unknown as Agent }),
    /option `dispatcher` must be an undici Dispatcher/,
  )
  t.throws(() => new Session({ dispatcher: new Agent(), proxy: 'http://127.0.0.1:1' }), /exclude each other/)
  t.throws(() => new Session(null as unknown as object), /option `options` must be an object, got null/)
  t.throws(() => new Session({ keepAliveTimeout: 0 }), /option `keepAliveTimeout`/)
  t.throws(() => new Session({ proxy: 'nope' }), /option `proxy` must be an absolute URL/)
})

t.test('proxy options build undici proxy agents that tunnel through the proxy', async t => {
  const target = await startServer(echo)
  t.teardown(target.close)
  const tunnels: string[] = []
  const proxy = await startServer((_req, res) => res.writeHead(405).end())
  t.teardown(proxy.close)
  // A minimal CONNECT proxy (RFC 9110 §9.3.6) that only reaches loopback ports.
  proxy.server.on('connect', (req, client: Socket) => {
    tunnels.push(String(req.url))
    const [, port] = String(req.url).split(':')
    const upstream = connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await using viaProxy = new Session({ proxy: proxy.url, keepAliveTimeout: 1_000 })
  const echoed = (await (await viaProxy.get(`${target.url}/target`)).body.json()) as Echo
  t.equal(echoed.url, '/target')
  t.same(tunnels, [`127.0.0.1:${target.port}`], 'the request went through the proxy')
  const saved = process.env.HTTP_PROXY
  process.env.HTTP_PROXY = proxy.url
  t.teardown(() => {
    if (saved === undefined) delete process.env.HTTP_PROXY
    else process.env.HTTP_PROXY = saved
  })
  await using fromEnv = new Session({ proxy: 'env' })
  const viaEnv = (await (await fromEnv.get(`${target.url}/env`)).body.json()) as Echo
  t.equal(viaEnv.url, '/env')
  t.equal(tunnels.length, 2, 'HTTP_PROXY was used')
})

t.test('util.inspect and JSON.stringify show only non-secret fields', async t => {
  await using session = new HeaderSession({
    baseUrl: 'http://127.0.0.1:1/',
    headers: { authorization: 'Bearer hidden' },
  })
  t.match(inspect(session), /^HeaderSession \{ baseUrl: 'http:\/\/127\.0\.0\.1:1\/', closed: false \}$/)
  t.notMatch(inspect(session), /hidden/)
  t.notMatch(JSON.stringify(session), /hidden/)
})
