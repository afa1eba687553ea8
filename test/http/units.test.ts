/** Pure helpers of the request pipeline: header shapes, redirects, form detection, WWW-Authenticate. */

import { Readable } from 'node:stream'
import t from 'tap'
import { mergeHeaders, readDispatchHeaders } from '../../lib/http/headers.js'
import { isReplayable, prepareDispatch, readForm, resolveUrl } from '../../lib/http/prepare.js'
import { redirectLocation, redirectOptions } from '../../lib/http/redirect.js'
import { assertSecureTransport, isLoopbackHost } from '../../lib/http/transport.js'
import { isInvalidTokenChallenge, parseWwwAuthenticate } from '../../lib/oauth2/bearer.js'

t.test('readDispatchHeaders reads every shape undici accepts, lower-cased, repeated names kept', async t => {
  t.same(readDispatchHeaders(null), {})
  t.same(readDispatchHeaders(['A', '1', 'a', '2', 'B', ['x', 'y']]), { a: ['1', '2'], b: ['x', 'y'] })
  t.same(
    readDispatchHeaders([
      ['A', '1'],
      ['a', '2'],
    ] as unknown as string[]),
    { a: ['1', '2'] },
  )
  t.same(
    readDispatchHeaders(
      new Map([
        ['X-One', '1'],
        ['x-two', undefined],
      ]) as unknown as Iterable<[string, string]>,
    ),
    { 'x-one': '1' },
  )
  t.same(
    readDispatchHeaders({ 'Content-Length': 3 as unknown as string, skip: undefined, list: ['a', 'b'] }),
    {
      'content-length': '3',
      list: ['a', 'b'],
    },
  )
  t.same(mergeHeaders({ a: '1' }, { A: '2', B: undefined }), { a: '2' })
})

t.test('redirects: which statuses, where to, and what the next hop sends', async t => {
  const from = new URL('http://127.0.0.1:1/a/b')
  t.equal(redirectLocation(302, { location: '../c' }, from)?.href, 'http://127.0.0.1:1/c')
  t.equal(redirectLocation(304, { location: '/x' }, from), undefined, '304 is not a redirect')
  t.equal(redirectLocation(302, {}, from), undefined, 'no Location')
  t.equal(redirectLocation(302, { location: 'http://[bad' }, from), undefined, 'an unparsable Location')
  const post = {
    method: 'POST',
    headers: { 'Content-Type': 'a/b', 'X-Keep': '1' },
    json: { a: 1 },
    query: { q: '1' },
  }
  for (const status of [301, 302, 303]) {
    const next = redirectOptions(status, 'POST', post)
    t.same(
      [next.method, next.body, next.json, next.headers, next.query],
      ['GET', null, undefined, { 'X-Keep': '1' }, undefined],
      `${status} after POST`,
    )
  }
  t.same(redirectOptions(302, 'PUT', post).json, { a: 1 }, '302 after PUT keeps the body')
  t.same(redirectOptions(307, 'POST', post).json, { a: 1 }, '307 keeps the body')
  t.equal(redirectOptions(303, 'HEAD', { method: 'HEAD' }).method, 'HEAD', '303 after HEAD stays HEAD')
})

t.test('forms, URLs and replayability', async t => {
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
  t.same(Object.fromEntries(readForm(form, 'a=1&b=2')!), { a: '1', b: '2' })
  t.same(Object.fromEntries(readForm(form, new TextEncoder().encode('a=%C3%A9'))!), { a: 'é' })
  t.equal(readForm(form, Readable.from(['a=1'])), undefined, 'a stream is not read')
  t.equal(readForm({ 'content-type': 'application/json' }, 'a=1'), undefined)
  t.equal(readForm({}, 'a=1'), undefined)
  t.equal(resolveUrl('/p', new URL('http://h/base/'), new URLSearchParams('')).href, 'http://h/p')
  t.equal(resolveUrl('http://h/p?x=1', undefined, { y: [true, 2] }).href, 'http://h/p?x=1&y=true&y=2')
  t.ok(isReplayable('x') && isReplayable(null) && isReplayable(new Uint8Array(1)))
  t.notOk(isReplayable(Readable.from(['x'])))
  const request = prepareDispatch(
    new URL('http://h:1/p?q=1'),
    'post',
    { 'Content-Type': 'application/x-www-form-urlencoded' },
    'a=1',
  )
  t.same([request.method, request.url.href, request.form?.get('a')], ['POST', 'http://h:1/p?q=1', '1'])
  const copied = new URLSearchParams('a=1')
  t.not(resolveUrl('http://h/', undefined, copied), copied)
})

t.test('loopback hosts and the transport rule', async t => {
  for (const host of ['localhost', '127.0.0.1', '127.255.0.9', '[::1]']) t.ok(isLoopbackHost(host), host)
  for (const host of ['example.com', '128.0.0.1', '127.0.0.1.example.com', '[::2]', 'localhost.example'])
    t.notOk(isLoopbackHost(host), host)
  t.doesNotThrow(() => assertSecureTransport(new URL('https://example.com/')))
  t.throws(() => assertSecureTransport(new URL('ftp://127.0.0.1/')), { code: 'ERR_OAUTH_INSECURE_TRANSPORT' })
  const err = (() => {
    try {
      assertSecureTransport(new URL('http://example.com/cb?access_token=leak'))
    } catch (e) {
      return e as Error
    }
  })()
  t.notMatch(err?.message, /leak/, 'the query is not in the message')
})

t.test('WWW-Authenticate parsing (RFC 9110 §11.6.1)', async t => {
  t.same(
    parseWwwAuthenticate(
      'Bearer realm="r", error="invalid_token", error_description="the \\"token\\" expired"',
    ),
    [
      {
        scheme: 'bearer',
        params: { realm: 'r', error: 'invalid_token', error_description: 'the "token" expired' },
      },
    ],
  )
  t.same(parseWwwAuthenticate(['Basic abc==', 'Bearer error=invalid_token']), [
    { scheme: 'basic', params: { '': 'abc==' } },
    { scheme: 'bearer', params: { error: 'invalid_token' } },
  ])
  t.same(parseWwwAuthenticate('Newauth realm="apps", type=1, Basic realm="simple"'), [
    { scheme: 'newauth', params: { realm: 'apps', type: '1' } },
    { scheme: 'basic', params: { realm: 'simple' } },
  ])
  t.same(parseWwwAuthenticate('Bearer realm="unterminated'), [{ scheme: 'bearer', params: {} }])
  t.same(parseWwwAuthenticate('=oops'), [])
  t.same(parseWwwAuthenticate(undefined), [])
  t.same(parseWwwAuthenticate('Bearer error="x", realm='), [
    { scheme: 'bearer', params: { error: 'x', realm: '' } },
  ])
  const [proto] = parseWwwAuthenticate('Bearer __proto__="x", error="invalid_token"')
  t.ok(Object.hasOwn(proto!.params, '__proto__'), '__proto__ is an ordinary parameter name')
  t.equal(Object.getPrototypeOf(proto!.params), Object.prototype)
  t.ok(isInvalidTokenChallenge('Basic realm="x", Bearer error="invalid_token"'))
  t.notOk(isInvalidTokenChallenge('Bearer error="insufficient_scope"'))
  t.notOk(isInvalidTokenChallenge('Basic error="invalid_token"'))
})
