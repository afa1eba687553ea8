/**
 * AssertionClient.fromServiceAccount (issue 12): a Google-format service-account file
 * (test/fixtures/keys/service-account.json) against the embedded oidc-provider, whose JWT bearer
 * grant (RFC 7523 §2.1) verifies each assertion with the account's public key; then every bad input,
 * none of whose errors shows key material (issue 11 item 7).
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { OAuthError } from '../../lib/errors.js'
import { AssertionClient, type ServiceAccountKey } from '../../lib/index.js'
import { leakedPart, thrownBy } from '../fixtures/key-leak.js'
import { startProvider, startResource } from '../fixtures/provider.js'

const fileText = readFileSync(new URL('../fixtures/keys/service-account.json', import.meta.url), 'utf8')
const conf = JSON.parse(fileText) as ServiceAccountKey & { client_id: string }
const publicJwk = { ...createPublicKey(conf.private_key).export({ format: 'jwk' }), kid: conf.private_key_id }

t.test('a Google service-account file obtains a token from oidc-provider and calls the API', async t => {
  const op = await startProvider({
    serviceAccounts: [{ clientId: conf.client_id, issuer: conf.client_email, publicJwk }],
  })
  t.teardown(() => op.close())
  const rs = await startResource(op.provider)
  t.teardown(() => rs.close())
  const local = { ...conf, token_uri: op.urls.token }
  const dir = t.testdir({ 'MyProject-1234.json': JSON.stringify(local, null, 2) })
  const path = join(dir, 'MyProject-1234.json')
  const sources: [string, ServiceAccountKey | string | URL][] = [
    ['file path (GOOGLE_APPLICATION_CREDENTIALS)', path],
    ['file URL', pathToFileURL(path)],
    ['JSON text', JSON.stringify(local)],
    ['parsed object', local],
    // The key as an environment variable holds it: `\n` escapes instead of line breaks.
    ['private_key with \\n escapes', { ...local, private_key: local.private_key.replaceAll('\n', '\\n') }],
  ]
  for (const [what, source] of sources) {
    op.counters.reset()
    // oidc-provider names the client of every token request: client_id, auth method none.
    await using client = AssertionClient.fromServiceAccount(source, {
      scope: ['api:read'],
      clientId: conf.client_id,
    })
    const response = await client.get(`${rs.url}/data`)
    t.equal(response.statusCode, 200, what)
    t.match(await response.body.json(), { ok: true, client: conf.client_id, scope: 'api:read' }, what)
    t.equal(op.counters.byGrantType['urn:ietf:params:oauth:grant-type:jwt-bearer'], 1, `${what}: one grant`)
    const [verified] = op.counters.grantAssertions
    t.match(verified?.header, { alg: 'RS256', kid: conf.private_key_id, typ: 'JWT' }, `${what}: header`)
    t.match(
      verified?.payload,
      { iss: conf.client_email, sub: conf.client_email, aud: op.urls.token, scope: 'api:read' },
      `${what}: claims`,
    )
    t.equal(client.tokenExpired, false)
  }

  t.test('subject: a user to act for, or null for none', async t => {
    for (const subject of ['someone@example.test', null]) {
      op.counters.reset()
      await using client = AssertionClient.fromServiceAccount(local, { clientId: conf.client_id, subject })
      await client.fetchToken()
      t.equal(op.counters.grantAssertions[0]?.payload.sub, subject ?? undefined)
      t.equal(op.counters.grantAssertions[0]?.payload['scope'], undefined, 'no scope: no claim')
    }
  })

  t.test('a file whose key the provider does not know: invalid_grant, no key in the error', async t => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const otherPem = other.export({ format: 'pem', type: 'pkcs8' }) as string
    await using client = AssertionClient.fromServiceAccount(
      { ...local, private_key: otherPem },
      { clientId: conf.client_id, scope: 'api:read' },
    )
    const error = await client.get(`${rs.url}/data`).then(
      () => undefined,
      (err: unknown) => err,
    )
    t.type(error, OAuthError)
    t.match(error, { error: 'invalid_grant' })
    t.equal(leakedPart(error, otherPem), undefined)
  })
})

t.test('bad inputs: a TypeError naming what is wrong, never the key', async t => {
  const dir = t.testdir({
    'truncated.json': fileText.slice(0, 900),
    'array.json': '[]',
    'bom.json': `\uFEFF${fileText}`,
  })
  const { private_key: _key, ...withoutKey } = conf
  const publicPem = createPublicKey(conf.private_key).export({ format: 'pem', type: 'spki' }) as string
  const cases: [string, unknown, RegExp][] = [
    ['no type', { ...conf, type: undefined }, /of type "service_account"; got no type/],
    [
      'an authorized_user file',
      { type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' },
      /expected a credentials file of type "service_account"; got "authorized_user" \(only a service account's private key can sign/,
    ],
    ['a type that is not a string', { ...conf, type: { a: 1 } }, /got object/],
    ['a type with odd characters', { ...conf, type: 'a b"c' }, /got string/],
    [
      'no client_email',
      { ...conf, client_email: undefined },
      /client_email must be a non-empty string; got none/,
    ],
    [
      'empty client_email',
      { ...conf, client_email: '' },
      /client_email must be a non-empty string; got string/,
    ],
    ['no private_key', withoutKey, /private_key must be a non-empty string; got none/],
    ['private_key not a string', { ...conf, private_key: 42 }, /private_key must be .*; got number/],
    ['no token_uri', { ...conf, token_uri: undefined }, /token_uri must be a non-empty string/],
    ['token_uri not a URL', { ...conf, token_uri: 'oauth2/token' }, /token_uri must be an absolute URL/],
    [
      'private_key_id not a string',
      { ...conf, private_key_id: 7 },
      /private_key_id must be a string; got number/,
    ],
    [
      'a public key as private_key',
      { ...conf, private_key: publicPem },
      /the service account's private_key needs a private key: a public key was given where a private key is needed to sign/,
    ],
    [
      'a damaged private_key',
      { ...conf, private_key: conf.private_key.slice(0, 700) },
      /private_key needs a private key: got a PEM labelled PRIVATE KEY that could not be read/,
    ],
    ['JSON text cut short', fileText.slice(0, 900), /fromServiceAccount: the JSON text is not valid JSON$/],
    ['a file cut short', join(dir, 'truncated.json'), /the file .*truncated\.json is not valid JSON$/],
    ['a file holding an array', join(dir, 'array.json'), /is JSON but not an object; got an array/],
    ['JSON text after blanks, cut short', `  ${fileText.slice(0, 300)}`, /the JSON text is not valid JSON/],
    [
      'a file that does not exist',
      join(dir, 'missing.json'),
      /could not read the service-account file .*missing\.json \(ENOENT\)/,
    ],
    ['a directory', pathToFileURL(dir), /could not read the service-account file .* \(EISDIR\)/],
    [
      'the PEM instead of the file',
      conf.private_key,
      /got a string that is neither \(key text is not accepted here/,
    ],
    [
      'the PEM with \\n escapes instead of the file',
      conf.private_key.replaceAll('\n', '\\n'),
      /got a string that is neither/,
    ],
    ['an empty string', '', /got a string that is neither/],
    ['a number', 42, /expected the service-account JSON \(object or text\) or a file path; got number/],
    ['null', null, /got null/],
    ['an array', [conf], /got an array/],
  ]
  for (const [what, source, message] of cases) {
    const error = thrownBy(() => AssertionClient.fromServiceAccount(source as ServiceAccountKey))
    t.type(error, TypeError, what)
    t.match((error as Error).message, /^AssertionClient\.fromServiceAccount: /, what)
    t.match((error as Error).message, message, what)
    t.equal(leakedPart(error, conf.private_key), undefined, `${what}: no key material`)
  }

  // A Windows-style path whose backslash precedes an n is a path, not escaped key text.
  t.match(
    (thrownBy(() => AssertionClient.fromServiceAccount(join(dir, 'C:\\new\\sa.json'))) as Error).message,
    /could not read the service-account file .*C:\\new\\sa\.json \(ENOENT\)/,
  )
  // An empty private_key_id sends no kid.
  await using noKid = AssertionClient.fromServiceAccount({ ...conf, private_key_id: '' })
  t.equal(JSON.parse(JSON.stringify(noKid)).kid, undefined)

  // A file saved with a byte order mark still reads.
  const bom = AssertionClient.fromServiceAccount(join(dir, 'bom.json'))
  t.match(JSON.parse(JSON.stringify(bom)), { issuer: conf.client_email, kid: conf.private_key_id })
  await bom.close()
})

t.test('options: what the file gives cannot be given again; the rest is checked as usual', async t => {
  const cases: [string, unknown, RegExp][] = [
    [
      'tokenEndpoint',
      { tokenEndpoint: 'https://x' },
      /option `tokenEndpoint` comes from the service account's token_uri/,
    ],
    ['audience', { audience: 'x' }, /option `audience` comes from the service account's token_uri/],
    ['issuer', { issuer: 'x' }, /option `issuer` comes from the service account's client_email/],
    ['key', { key: conf.private_key }, /option `key` comes from the service account's private_key/],
    ['options null', null, /option `options` must be an object, got null/],
    ['scope', { scope: 3 }, /option `scope` must be a string or an array of strings, got 3/],
    ['claims', { claims: 'scope' }, /option `claims` must be an object/],
    ['header', { header: [] }, /option `header` must be an object/],
    ['leeway, checked by the constructor', { leeway: -1 }, /option `leeway`/],
  ]
  for (const [what, options, message] of cases) {
    const error = thrownBy(() => AssertionClient.fromServiceAccount(conf, options as never))
    t.type(error, TypeError, what)
    t.match((error as Error).message, message, what)
    t.equal(leakedPart(error, conf.private_key), undefined, `${what}: no key material`)
  }

  // Given claims and header are kept; the scope claim and the file's kid come with them.
  await using client = AssertionClient.fromServiceAccount(conf, {
    scope: 'a b',
    claims: { extra: 1 },
    header: { alg: 'PS256' },
  })
  t.match(JSON.parse(JSON.stringify(client)), {
    tokenEndpoint: conf.token_uri,
    audience: conf.token_uri,
    issuer: conf.client_email,
    subject: conf.client_email,
    alg: 'PS256',
    kid: conf.private_key_id,
    key: '[private key]',
  })
})
