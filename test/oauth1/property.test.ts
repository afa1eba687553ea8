/**
 * Property tests (issue 6) for the OAuth 1 code a server or a caller feeds: RFC 5849 §3.6
 * percent-encoding, §3.4.1 base strings and parameter normalisation, request signing with
 * arbitrary URLs, forms and options, and token endpoint answers (urlencoded or JSON).
 */
import { createHmac, generateKeyPairSync, verify } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { InvalidResponseError, OAuthError } from '../../lib/errors.js'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import {
  baseStringUri,
  normalizeParameters,
  type Parameter,
  signatureBaseString,
} from '../../lib/oauth1/base-string.js'
import { percentEncode } from '../../lib/oauth1/encoding.js'
import type { SignatureType } from '../../lib/oauth1/placement.js'
import { signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner, type SignatureMethod, signingKey } from '../../lib/oauth1/signature.js'
import { parseTokenAnswer } from '../../lib/oauth1/token-response.js'
import {
  assertNoSecret,
  isWellFormed,
  MARK,
  noise,
  RUNS,
  secret,
  settings,
  valueOrTypedError,
  wellFormed,
} from '../fixtures/property.js'

const ENCODED = /^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/

/** The RFC 5849 §3.6 definition, octet by octet. */
function referenceEncode(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

t.test(
  'percentEncode: unreserved characters and upper-case %XX only; decodes back; URIError for lone surrogates',
  async t => {
    fc.assert(
      fc.property(fc.oneof(noise(60), wellFormed(60)), value => {
        if (!isWellFormed(value)) {
          const outcome = valueOrTypedError(() => percentEncode(value), [URIError])
          if (!('error' in outcome)) throw new Error('a lone surrogate was encoded')
          return
        }
        const encoded = percentEncode(value)
        if (!ENCODED.test(encoded)) throw new Error(`not §3.6 output: ${encoded}`)
        if (decodeURIComponent(encoded) !== value) throw new Error('does not decode back')
        if (encoded !== referenceEncode(value)) throw new Error(`differs from §3.6: ${encoded}`)
        if (percentEncode(encoded) !== encoded.replace(/%/g, '%25'))
          throw new Error('encoding twice is not %25')
      }),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

const pairs = fc.array(fc.tuple(wellFormed(12), wellFormed(20)), { maxLength: 8 })

function referenceNormalize(parameters: readonly Parameter[]): string {
  const encoded = parameters.map(([name, value]) => [referenceEncode(name), referenceEncode(value)] as const)
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  return encoded.map(([name, value]) => `${name}=${value}`).join('&')
}

t.test(
  'normalizeParameters: sorted by encoded name then value, whatever the input order or split',
  async t => {
    const input = pairs.chain(list =>
      fc.record({
        list: fc.constant(list),
        shuffled: fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
        cut: fc.nat({ max: list.length }),
      }),
    )
    fc.assert(
      fc.property(input, ({ list, shuffled, cut }) => {
        const normalized = normalizeParameters([list])
        if (normalized !== referenceNormalize(list)) throw new Error(`not §3.4.1.3.2 order: ${normalized}`)
        if (
          normalizeParameters([shuffled.slice(0, cut), new URLSearchParams(shuffled.slice(cut))]) !==
          normalized
        )
          throw new Error('depends on the order or the source of the parameters')
      }),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const method = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'put', 'Delete', 'PATCH', 'HEAD') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...tchar), minLength: 1, maxLength: 10 }) },
)
/** What a caller may pass as a method: sometimes not even well-formed. */
const anyMethod = fc.oneof({ weight: 8, arbitrary: method }, { weight: 1, arbitrary: noise(6) })

/** A URL with any path, query and fragment a caller may write (the parser normalises them). */
const url = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }).map(u => new URL(u)),
  fc
    .record({
      origin: fc.constantFrom(
        'https://api.example',
        'http://127.0.0.1:8080',
        'HTTPS://API.Example:443',
        'http://[::1]:80',
        'https://xn--nxasmq6b.example:8443',
      ),
      path: noise(20),
      query: fc.oneof(
        { weight: 6, arbitrary: noise(40) },
        // Protocol parameter names spelled with escapes a decoder reads as "oauth_…".
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'oauth%5Ftoken=x',
            '%6Fauth_nonce=1&a=b',
            'oauth%5fsignature=s',
            'a=1&oauth_signature=',
          ),
        },
      ),
      hash: noise(5),
    })
    .map(({ origin, path, query, hash }) => {
      const target = new URL(origin)
      target.pathname = path
      target.search = query
      target.hash = hash
      return target
    }),
)

t.test(
  'signatureBaseString: three encoded parts: METHOD, base string URI, normalised parameters',
  async t => {
    fc.assert(
      fc.property(
        method,
        url,
        fc.option(pairs, { nil: undefined }),
        pairs,
        (verb, target, form, protocol) => {
          const body = form === undefined ? undefined : new URLSearchParams(form)
          const base = signatureBaseString(verb, target, body, protocol)
          const parts = base.split('&')
          if (parts.length !== 3) throw new Error(`${parts.length} parts: ${base}`)
          for (const part of parts) if (!ENCODED.test(part)) throw new Error(`part not encoded: ${part}`)
          const [m, uri, params] = parts as [string, string, string]
          if (m !== referenceEncode(verb.toUpperCase())) throw new Error(`method part ${m}`)
          if (decodeURIComponent(uri) !== baseStringUri(target)) throw new Error(`uri part ${uri}`)
          const expected = referenceNormalize([...target.searchParams, ...(body ?? []), ...protocol])
          if (decodeURIComponent(params) !== expected)
            throw new Error('parameters part differs from §3.4.1.3.2')
          const uriText = baseStringUri(target)
          if (/[?#]/.test(uriText) || !uriText.startsWith(`${target.protocol}//${target.host.toLowerCase()}`))
            throw new Error(`base string URI ${uriText}`)
        },
      ),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

// --- signRequest ----------------------------------------------------------------------------------

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PROTOCOL_NAMES = [
  'oauth_consumer_key',
  'oauth_token',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_nonce',
  'oauth_version',
  'oauth_callback',
  'oauth_verifier',
  'oauth_body_hash',
  'oauth_signature',
]

const formPairs = fc.array(
  fc.tuple(
    fc.oneof(
      { weight: 8, arbitrary: noise(12) },
      { weight: 1, arbitrary: fc.constantFrom(...PROTOCOL_NAMES) },
    ),
    noise(20),
  ),
  { maxLength: 6 },
)

const signing = fc.record({
  method: anyMethod,
  url,
  query: fc.option(formPairs, { nil: undefined }),
  form: fc.option(formPairs, { nil: undefined }),
  body: fc.oneof(fc.constant(null), fc.constant(''), noise(30), fc.uint8Array({ maxLength: 30 })),
  signatureMethod: fc.constantFrom<SignatureMethod>(
    'HMAC-SHA1',
    'HMAC-SHA256',
    'HMAC-SHA512',
    'PLAINTEXT',
    'RSA-SHA256',
  ),
  signatureType: fc.constantFrom<SignatureType>('header', 'query', 'body'),
  clientId: fc.oneof(noise(20), fc.constant('dpf43f3p2l4k3l03')),
  // Mostly planted secrets; sometimes hostile text (lone surrogates) that cannot key a signature.
  clientSecret: fc.option(fc.oneof({ weight: 4, arbitrary: secret }, { weight: 1, arbitrary: noise(10) }), {
    nil: undefined,
  }),
  tokenSecret: fc.option(fc.oneof({ weight: 4, arbitrary: secret }, { weight: 1, arbitrary: noise(10) }), {
    nil: undefined,
  }),
  token: fc.option(noise(20), { nil: undefined }),
  callback: fc.option(fc.oneof(noise(20), fc.webUrl()), { nil: undefined }),
  verifier: fc.option(noise(20), { nil: undefined }),
  realm: fc.option(noise(20), { nil: undefined }),
  forceIncludeBody: fc.boolean(),
  version: fc.constantFrom<'1.0' | undefined>('1.0', undefined),
  nonce: fc.option(noise(20), { nil: undefined }),
  timestamp: fc.option(fc.constantFrom('137131200', '0', ''), { nil: undefined }),
})

/** What a provider reads back: the protocol parameters from where they were placed, decoded. */
function readProtocol(
  request: PreparedRequest,
  type: SignatureType,
  before: number,
): { params: [string, string][]; realm?: string } {
  if (type === 'header') {
    const header = request.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('OAuth ')) throw new Error('no OAuth header')
    const params: [string, string][] = []
    // The realm comes first and may itself hold ", " (quotes and backslashes are refused).
    const realmMatch = /^realm="([^"]*)"(?:, |$)/.exec(header.slice(6))
    const realm = realmMatch?.[1]
    const rest = header.slice(6 + (realmMatch?.[0].length ?? 0))
    for (const item of rest === '' ? [] : rest.split(', ')) {
      const match = /^([a-z_]+)="([^"]*)"$/.exec(item)
      if (match === null) throw new Error(`header item ${item}`)
      params.push([match[1]!, decodeURIComponent(match[2]!)])
    }
    return realm === undefined ? { params } : { params, realm }
  }
  const source = type === 'query' ? request.url.searchParams : request.form
  if (source === undefined) throw new Error('no form')
  // The signer appends after the request's own parameters (which may hold other oauth_ names).
  return { params: [...source].slice(before) }
}

t.test(
  'signRequest: arbitrary requests and options are signed verifiably or rejected with a TypeError',
  async t => {
    fc.assert(
      fc.property(signing, input => {
        const target = new URL(input.url.href)
        if (input.query !== undefined)
          for (const [name, value] of input.query) target.searchParams.append(name, value)
        const form = input.form === undefined ? undefined : new URLSearchParams(input.form)
        const request: PreparedRequest = {
          method: input.method.toUpperCase(),
          url: target,
          headers: {},
          body: form === undefined ? input.body : form.toString(),
          form,
        }
        const queryBefore = [...request.url.searchParams].length
        const formBefore = form === undefined ? 0 : [...form].length
        const secrets = [input.clientSecret, input.tokenSecret].filter(
          (s): s is string => s?.startsWith(MARK) === true,
        )
        const signerOutcome = valueOrTypedError(
          () =>
            createSigner(input.signatureMethod, {
              clientSecret: input.clientSecret,
              tokenSecret: input.tokenSecret,
              rsaKey: rsaKey.privateKey,
            }),
          [TypeError],
          secrets,
        )
        if (!('value' in signerOutcome)) return
        const signer = signerOutcome.value
        const outcome = valueOrTypedError(
          () =>
            signRequest(request, {
              clientId: input.clientId,
              signer,
              signatureType: input.signatureType,
              token: input.token,
              callback: input.callback,
              verifier: input.verifier,
              realm: input.realm,
              forceIncludeBody: input.forceIncludeBody,
              version: input.version,
              nonce: input.nonce,
              timestamp: input.timestamp,
            }),
          [TypeError],
          secrets,
        )
        if (!('value' in outcome)) return
        const baseString = outcome.value

        // Every oauth_* parameter exactly once, where signatureType says, and nowhere else.
        const { params: placed, realm } = readProtocol(
          request,
          input.signatureType,
          input.signatureType === 'query' ? queryBefore : formBefore,
        )
        const names = placed.map(([name]) => name)
        if (new Set(names).size !== names.length) throw new Error(`a protocol parameter twice: ${names}`)
        if (realm !== input.realm && input.signatureType === 'header') throw new Error('realm lost')
        for (const [name] of placed) {
          if (input.signatureType !== 'query' && request.url.searchParams.has(name))
            throw new Error(`${name} in the query too`)
          if (input.signatureType !== 'body' && request.form?.has(name))
            throw new Error(`${name} in the body too`)
        }
        const signature = placed.find(([name]) => name === 'oauth_signature')?.[1]
        if (signature === undefined) throw new Error('no oauth_signature')
        if (input.signatureType === 'body' && request.body !== request.form?.toString())
          throw new Error('body not the form')

        // A provider rebuilds the base string from the request it received and checks the signature.
        const unsigned = placed.filter(([name]) => name !== 'oauth_signature')
        const receivedUrl = new URL(request.url.href)
        let receivedForm = request.form === undefined ? undefined : new URLSearchParams(request.form)
        if (input.signatureType === 'query')
          for (const [name] of placed) receivedUrl.searchParams.delete(name)
        if (input.signatureType === 'body' && receivedForm !== undefined) {
          receivedForm = new URLSearchParams([...receivedForm].slice(0, formBefore))
        }
        if (input.signatureMethod === 'PLAINTEXT') {
          if (signature !== signingKey(input.clientSecret, input.tokenSecret))
            throw new Error('PLAINTEXT signature')
          return
        }
        const rebuilt = signatureBaseString(request.method, receivedUrl, receivedForm, unsigned)
        if (rebuilt !== baseString) throw new Error(`base strings differ:\n${rebuilt}\n${baseString}`)
        if (baseString.split('&').length !== 3) throw new Error('base string is not three parts')
        if (input.signatureMethod === 'RSA-SHA256') {
          if (!verify('sha256', Buffer.from(baseString), rsaKey.publicKey, Buffer.from(signature, 'base64')))
            throw new Error('RSA signature does not verify')
        } else {
          const digest =
            input.signatureMethod === 'HMAC-SHA1'
              ? 'sha1'
              : input.signatureMethod === 'HMAC-SHA256'
                ? 'sha256'
                : 'sha512'
          const expected = createHmac(digest, signingKey(input.clientSecret, input.tokenSecret))
            .update(baseString)
            .digest('base64')
          if (signature !== expected) throw new Error('HMAC signature does not verify')
        }
      }),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

// --- token endpoint answers ------------------------------------------------------------------------

const FIELD_NAMES = [
  'oauth_token',
  'oauth_token_secret',
  'oauth_callback_confirmed',
  'oauth_problem',
  'oauth_problem_advice',
  'error',
  'error_description',
  'error_uri',
  'oauth_expires_in',
]

interface Planted {
  clientSecret: string
  tokenSecret: string
}

function echo(planted: Planted): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: noise(20) },
    { weight: 1, arbitrary: noise(8).map(s => `${s}${planted.clientSecret}${s}`) },
    {
      weight: 1,
      arbitrary: noise(8).map(
        s => `${percentEncode(planted.clientSecret)}&${percentEncode(planted.tokenSecret)}${s}`,
      ),
    },
    { weight: 1, arbitrary: fc.constant(planted.tokenSecret) },
  )
}

const jsonWrong: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(noise(5), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
)

function tokenAnswerBody(planted: Planted): fc.Arbitrary<string> {
  const field = fc.constantFrom(...FIELD_NAMES)
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof({ weight: 4, arbitrary: field }, { weight: 1, arbitrary: noise(8) }),
            echo(planted),
          ),
          { maxLength: 6 },
        )
        .map(list => new URLSearchParams(list).toString()),
    },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof({ weight: 4, arbitrary: field }, { weight: 1, arbitrary: noise(8) }),
            fc.oneof(echo(planted), jsonWrong),
          ),
          { maxLength: 6 },
        )
        .map(list => JSON.stringify(Object.fromEntries(list))),
    },
    { weight: 1, arbitrary: noise(120) },
    { weight: 1, arbitrary: fc.tuple(noise(30), echo(planted)).map(([a, b]) => `<html>${a}${b}</html>`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '["oauth_token"]',
        'oauth_token=&oauth_token_secret=',
        'oauth_token=a&oauth_token=b&oauth_token_secret=s',
        'oauth_token=%ED%A0%80&oauth_token_secret=%zz',
        '{"oauth_token":"\\ud800","oauth_token_secret":"s"}',
        '{"oauth_token":"t","oauth_token_secret":"\\udfff"}',
        '{"oauth_token":"t","oauth_token_secret":"s","__proto__":{"x":1}}',
        `oauth_token=${'t'.repeat(100_000)}&oauth_token_secret=s`,
      ),
    },
  )
}

const tokenAnswer = fc.record({ clientSecret: secret, tokenSecret: secret }).chain(planted =>
  fc.record({
    planted: fc.constant(planted),
    answer: fc.record({
      statusCode: fc.oneof(fc.constantFrom(200, 201, 400, 401, 500, 503), fc.integer({ min: 0, max: 999 })),
      contentType: fc.constantFrom(
        undefined,
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-8',
        'text/plain',
        'text/html',
        'APPLICATION/JSON',
      ),
      body: tokenAnswerBody(planted),
    }),
  }),
)

t.test(
  'parseTokenAnswer: a usable token or an OAuthError, with no secret raw or percent-encoded',
  async t => {
    fc.assert(
      fc.property(tokenAnswer, ({ planted, answer }) => {
        const secrets = [planted.clientSecret, planted.tokenSecret]
        const leaks = [...secrets, ...secrets.map(percentEncode)]
        const outcome = valueOrTypedError(
          () => parseTokenAnswer(answer, 'token credentials endpoint', secrets),
          [OAuthError],
          leaks,
        )
        if ('error' in outcome) {
          const error = outcome.error as OAuthError
          if (error.statusCode !== answer.statusCode) throw new Error('statusCode not carried')
          assertNoSecret(error, leaks)
          return
        }
        const token = outcome.value
        if (answer.statusCode < 200 || answer.statusCode > 299)
          throw new Error(`status ${answer.statusCode} gave a token`)
        if (typeof token.oauth_token !== 'string' || token.oauth_token === '')
          throw new Error('bad oauth_token')
        if (typeof token.oauth_token_secret !== 'string') throw new Error('bad oauth_token_secret')
        // The token is usable: the client signs with it and its secret right away.
        percentEncode(token.oauth_token)
        createSigner('HMAC-SHA1', {
          clientSecret: planted.clientSecret,
          tokenSecret: token.oauth_token_secret,
        })
      }),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)

t.test(
  'parseTokenAnswer: a reported problem is an OAuthError (not InvalidResponseError) whatever the status',
  async t => {
    fc.assert(
      fc.property(
        fc.constantFrom('oauth_problem', 'error'),
        noise(20).filter(s => s !== ''),
        fc.integer({ min: 100, max: 599 }),
        fc.boolean(),
        (name, problem, statusCode, json) => {
          const body = json
            ? JSON.stringify({ [name]: problem })
            : new URLSearchParams({ [name]: problem }).toString()
          const outcome = valueOrTypedError(
            () => parseTokenAnswer({ statusCode, contentType: undefined, body }, 'x', []),
            [OAuthError],
          )
          if (!('error' in outcome)) throw new Error('a problem gave a token')
          const expected = json ? problem : new URLSearchParams(body).get(name)
          if (
            outcome.error instanceof InvalidResponseError ||
            (outcome.error as OAuthError).error !== expected
          )
            throw new Error(`problem read as ${(outcome.error as OAuthError).error}`)
        },
      ),
      settings(),
    )
    t.pass(`${RUNS} cases`)
  },
)
