/**
 * Issue 11 item 6: every secret a call sent is redacted from the error it ends in, in every
 * encoding it was sent: the Basic header (base64 of the form-encoded `id:secret`) and the secret
 * in it, a refresh token, a token to revoke or introspect, a password, a code and its verifier, a
 * client assertion, and an OAuth 1 PLAINTEXT signature (the encoded secrets, encoded again in the
 * header). The servers echo everything they received, in a JSON error and in a body that is not
 * JSON.
 */
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { OAuthError } from '../lib/errors.js'
import { OAuth1Client } from '../lib/oauth1/client.js'
import { percentEncode } from '../lib/oauth1/encoding.js'
import { OAuth2Client, type OAuth2ClientOptions } from '../lib/oauth2/client.js'
import { sentSecrets } from '../lib/redact.js'
import { json, type RecordingServer, type Seen, start } from './fixtures/recording-server.js'

// Reserved characters make each encoding differ from the raw value.
const CLIENT_SECRET = 'cl!ent sec&ret=+/~%'
const form = (value: string) => new URLSearchParams([['', value]]).toString().slice(1)

type Mode = 'json' | 'text'

/** What the server received, as one string: its request target, Authorization header and body. */
const echo = (request: Seen) => `${request.url} ${String(request.headers.authorization)} ${request.body}`

async function echoing(t: Test, mode: Mode): Promise<RecordingServer> {
  const s = await start()
  t.teardown(s.close)
  s.respond((request, res) => {
    if (mode === 'text') {
      res.statusCode = 500
      res.setHeader('content-type', 'text/html')
      return res.end(`<h1>bad gateway</h1> ${echo(request)}`)
    }
    json(
      res,
      {
        error: 'invalid_request',
        error_description: echo(request),
        error_uri: `https://e.example/?${echo(request)}`,
      },
      400,
    )
  })
  return s
}

/** Every spelling of `secret` a server might echo back. */
function spellings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    form(secret),
    percentEncode(secret),
    percentEncode(percentEncode(secret)),
  ]
}

/** The call failed with an OAuthError that holds none of `secrets`' spellings anywhere. */
async function assertRedacted(
  t: Test,
  call: Promise<unknown>,
  secrets: string[],
  what: string,
): Promise<void> {
  const err = await call.then(
    () => t.fail(`${what}: expected a failure`),
    (e: unknown) => e,
  )
  t.ok(err instanceof OAuthError, `${what}: an OAuthError`)
  const e = err as OAuthError & { excerpt?: string }
  const shown = [e.message, e.description, e.uri, e.excerpt, inspect(e), JSON.stringify(e)].join('\n')
  for (const secret of secrets) {
    for (const spelling of spellings(secret)) {
      t.notOk(shown.includes(spelling), `${what}: no '${spelling}'`)
    }
  }
}

function oauth2(s: RecordingServer, options: OAuth2ClientOptions = {}): OAuth2Client {
  const c = new OAuth2Client({
    clientId: 'app id',
    clientSecret: CLIENT_SECRET,
    tokenEndpoint: `${s.url}/token`,
    revocationEndpoint: `${s.url}/revoke`,
    introspectionEndpoint: `${s.url}/introspect`,
    ...options,
  })
  t.teardown(() => c.close())
  return c
}

for (const mode of ['json', 'text'] as const) {
  t.test(
    `OAuth 2 endpoint calls, a server echoing in ${mode === 'json' ? 'error_description' : 'an unreadable body'}`,
    async t => {
      const s = await echoing(t, mode)
      const c = oauth2(s)
      const basic = Buffer.from(`${form('app id')}:${form(CLIENT_SECRET)}`).toString('base64')
      await assertRedacted(
        t,
        c.fetchToken(),
        [basic, CLIENT_SECRET, `${form('app id')}:${form(CLIENT_SECRET)}`],
        'Basic header',
      )
      t.ok(s.received(basic), 'the server did receive the Basic credentials it echoed')

      const refreshToken = 'rt given/by the+caller&'
      await assertRedacted(
        t,
        c.refreshToken(undefined, { refreshToken }),
        [refreshToken, CLIENT_SECRET],
        'refreshToken({ refreshToken })',
      )

      const token = 'token to revoke/=+& 1'
      await assertRedacted(t, c.revokeToken(undefined, { token }), [token, basic], 'revokeToken({ token })')
      await assertRedacted(
        t,
        c.introspectToken(undefined, { token }),
        [token, basic],
        'introspectToken({ token })',
      )

      const password = 'correct horse&battery=staple'
      await assertRedacted(
        t,
        c.fetchToken(undefined, { username: 'alice', password }),
        [password],
        'password grant',
      )

      const code = 'auth code/+=&1'
      const codeVerifier = `${'v'.repeat(40)}~.-`
      await assertRedacted(
        t,
        c.fetchToken(undefined, { code, codeVerifier, redirectUri: 'https://app.example/cb' }),
        [code, codeVerifier],
        'code and code verifier',
      )

      const subjectToken = 'subject token/+=&for exchange'
      await assertRedacted(
        t,
        c.fetchToken(undefined, {
          grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
          extraParams: {
            subject_token: subjectToken,
            subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          },
        }),
        [subjectToken],
        'an extra parameter',
      )
    },
  )

  t.test(`a client assertion (client_secret_jwt), echoed in ${mode}`, async t => {
    const s = await echoing(t, mode)
    const c = oauth2(s, { tokenEndpointAuthMethod: 'client_secret_jwt', clientSecret: 'k'.repeat(32) })
    const call = c.fetchToken()
    await call.catch(() => undefined)
    const assertion = new URLSearchParams(s.seen[0]!.body).get('client_assertion')!
    t.equal(assertion.split('.').length, 3, 'a JWT was sent')
    await assertRedacted(t, call, [assertion], 'client_assertion')
  })

  t.test(`OAuth 1 PLAINTEXT credentials request, echoed in ${mode}`, async t => {
    const s = await start()
    t.teardown(s.close)
    s.respond((request, res) => {
      if (mode === 'text') {
        // The signature as the header carried it, first, so the excerpt's length limit keeps it.
        const signature = /oauth_signature="([^"]*)"/.exec(String(request.headers.authorization))?.[1]
        res.statusCode = 500
        return res.end(`oops ${signature}`)
      }
      res.statusCode = 401
      res.setHeader('content-type', 'application/x-www-form-urlencoded')
      res.end(
        new URLSearchParams({
          oauth_problem: 'signature_invalid',
          oauth_problem_advice: echo(request),
        }).toString(),
      )
    })
    const tokenSecret = 'token sec&ret/+=1'
    const verifier = 'verifier/+= &42'
    const c = new OAuth1Client({
      clientId: 'consumer',
      clientSecret: CLIENT_SECRET,
      signatureMethod: 'PLAINTEXT',
      token: 'temporary',
      tokenSecret,
      verifier,
    })
    t.teardown(() => c.close())
    const signature = `${percentEncode(CLIENT_SECRET)}&${percentEncode(tokenSecret)}`
    await assertRedacted(
      t,
      c.fetchAccessToken(`${s.url}/token`),
      [CLIENT_SECRET, tokenSecret, signature, verifier],
      'PLAINTEXT',
    )
    t.ok(
      s.received(percentEncode(percentEncode(CLIENT_SECRET))),
      'the header carried the double-encoded secret',
    )
  })
}

t.test('sentSecrets: what counts as a secret of a request', async t => {
  const basic = Buffer.from('app:s%26cret+1').toString('base64')
  t.same(
    sentSecrets({ Authorization: `Basic ${basic}`, accept: 'application/json' }, new URLSearchParams()),
    [basic, 'app:s%26cret+1', 's&cret 1'],
  )
  t.same(sentSecrets({ authorization: 'opaque-credential' }, new URLSearchParams()), ['opaque-credential'])
  t.same(
    sentSecrets(
      { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      new URLSearchParams(),
    ).slice(1),
    ['no-colon', 'no-colon'],
  )
  const body = new URLSearchParams({
    grant_type: 'password',
    scope: 'a b',
    redirect_uri: 'https://app.example/cb',
    client_id: 'app',
    token_type_hint: 'refresh_token',
    resource: 'https://api.example',
    audience: 'api',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    password: 'pw-1',
    client_secret: 'cs-1',
    custom: 'c-1',
  })
  t.same(sentSecrets({}, body), ['pw-1', 'cs-1', 'c-1'])
})
