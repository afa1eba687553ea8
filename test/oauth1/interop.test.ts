// Acceptance 3 and 5 of issue 5 through OAuth1Client: against oauthlib (a provider this project
// did not write, test/fixtures/oauth1_provider.py) the full three-legged flow, then signed GET
// and form POST through request, fetch and the dispatcher, for HMAC-SHA1, HMAC-SHA256, RSA-SHA1,
// RSA-SHA256 and PLAINTEXT in the header, the query and the body; and a JSON body sent intact and
// covered by oauth_body_hash.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { OAuth1Client, type OAuth1ClientOptions } from '../../lib/oauth1/client.js'
import type { SignatureType } from '../../lib/oauth1/placement.js'
import type { SignatureMethod } from '../../lib/oauth1/signature.js'
import {
  INTEROP_METHODS as METHODS,
  OAUTH1_CLIENT,
  OAUTH1_PLAIN_CLIENT,
  oauth1ProviderSkipReason,
  INTEROP_PLACEMENTS as PLACEMENTS,
  startOAuth1Provider,
  TRICKY_FORM,
} from '../fixtures/oauth1-provider.js'

const CALLBACK = 'http://127.0.0.1:1/callback?app=undici-oauth'

interface Echo {
  method: string
  path: string
  query: [string, string][]
  body: string
  form: [string, string][] | null
  content_type: string
  oauth_params: Record<string, string>
  signature_type: SignatureType
  realm: string | null
  body_sha1: string
  body_sha256: string
}

const withoutOAuth = (pairs: [string, string][] | null) =>
  (pairs ?? []).filter(([name]) => !name.startsWith('oauth_'))

const skip = oauth1ProviderSkipReason()

t.test('OAuth1Client against oauthlib', { skip }, async t => {
  const provider = await startOAuth1Provider()
  t.teardown(() => provider.close())

  /** A client that went through the three-legged flow (RFC 5849 §2). */
  async function authorizedClient(
    t: Test,
    method: SignatureMethod,
    signatureType: SignatureType,
    extra: Partial<OAuth1ClientOptions> = {},
  ): Promise<OAuth1Client> {
    // oauthlib unescapes oauth_* values from the query and body twice; see OAUTH1_PLAIN_CLIENT.
    const credentials =
      method === 'PLAINTEXT' && signatureType !== 'header' ? OAUTH1_PLAIN_CLIENT : OAUTH1_CLIENT
    const client = new OAuth1Client({
      ...credentials,
      baseUrl: provider.url,
      signatureMethod: method,
      signatureType,
      redirectUri: CALLBACK,
      ...extra,
    })
    t.teardown(() => client.close())

    const temporary = await client.fetchRequestToken('/request_token')
    t.equal(temporary.oauth_callback_confirmed, 'true', 'temporary credentials')
    const authorizationUrl = client.createAuthorizationUrl('/authorize')
    t.equal(new URL(authorizationUrl).searchParams.get('oauth_token'), temporary.oauth_token)

    // The resource owner's browser: the provider approves at once and redirects to the callback.
    const approval = await request(authorizationUrl)
    await approval.body.dump()
    t.equal(approval.statusCode, 302)
    const callback = String(approval.headers['location'])
    t.ok(callback.startsWith(`${CALLBACK}&oauth_token=`), 'redirected to oauth_callback')
    const authorized = client.parseAuthorizationResponse(callback)
    t.equal(authorized.oauth_token, temporary.oauth_token)
    t.equal(authorized.oauth_token_secret, temporary.oauth_token_secret, 'the temporary secret is kept')

    const access = await client.fetchAccessToken('/access_token')
    t.not(access.oauth_token, temporary.oauth_token, 'token credentials')
    t.equal(client.token?.oauth_token, access.oauth_token)
    t.equal(client.token?.oauth_verifier, undefined, 'the verifier is spent')
    return client
  }

  for (const method of METHODS) {
    for (const signatureType of PLACEMENTS) {
      t.test(`${method} in the ${signatureType}`, async t => {
        const client = await authorizedClient(t, method, signatureType, { realm: 'photos' })

        // Signed GET; the query holds characters strict decoders reject unless re-encoded.
        const query = { q: 'a|b', 'fields[a]': '1', s: "it's ok", e: '', u: 'caf\u00e9' }
        const got = await client.get('/resource/photos', { query })
        const gotText = await got.body.text()
        t.equal(got.statusCode, 200, 'signed GET', {
          response: gotText,
          theirs: got.headers['x-base-string'],
        })
        const echo = JSON.parse(gotText) as Echo
        t.same(withoutOAuth(echo.query), Object.entries(query))
        t.equal(echo.signature_type, signatureType)
        t.equal(echo.oauth_params['oauth_version'], '1.0')
        t.notOk(
          'oauth_callback' in echo.oauth_params,
          'oauth_callback only with the temporary credentials request',
        )
        t.notOk('oauth_verifier' in echo.oauth_params, 'oauth_verifier only with the token request')
        if (signatureType === 'header') t.equal(echo.realm, 'photos')

        // Signed POST with a form body of tricky values.
        const posted = await client.post('/resource/upload?x=1', { form: new URLSearchParams(TRICKY_FORM) })
        const postedText = await posted.body.text()
        t.equal(posted.statusCode, 200, 'signed form POST', {
          response: postedText,
          theirs: posted.headers['x-base-string'],
        })
        const postEcho = JSON.parse(postedText) as Echo
        t.same(withoutOAuth(postEcho.form), TRICKY_FORM)
        t.same(
          postEcho.query.filter(([name]) => name === 'x'),
          [['x', '1']],
        )

        // WHATWG fetch and the undici dispatcher go through the same signing step.
        const fetched = await client.fetch(`${provider.url}/resource/fetch?via=fetch`)
        t.equal(fetched.status, 200, 'signed fetch', { response: await fetched.clone().text() })
        t.equal(((await fetched.json()) as Echo).signature_type, signatureType)
        const fetchedForm = await client.fetch(`${provider.url}/resource/fetch-form`, {
          method: 'POST',
          body: new URLSearchParams(TRICKY_FORM),
        })
        const fetchedFormText = await fetchedForm.text()
        t.equal(fetchedForm.status, 200, 'signed fetch form POST', { response: fetchedFormText })
        t.same(withoutOAuth((JSON.parse(fetchedFormText) as Echo).form), TRICKY_FORM)
        const dispatched = await request(`${provider.url}/resource/dispatcher?via=dispatcher`, {
          dispatcher: client.dispatcher,
        })
        const dispatchedText = await dispatched.body.text()
        t.equal(dispatched.statusCode, 200, 'signed dispatcher request', { response: dispatchedText })
        t.same(withoutOAuth((JSON.parse(dispatchedText) as Echo).query), [['via', 'dispatcher']])
        const dispatchedForm = await request(`${provider.url}/resource/dispatcher`, {
          method: 'POST',
          dispatcher: client.dispatcher,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(TRICKY_FORM).toString(),
        })
        const dispatchedFormText = await dispatchedForm.body.text()
        t.equal(dispatchedForm.statusCode, 200, 'signed dispatcher form POST', {
          response: dispatchedFormText,
        })
        t.same(withoutOAuth((JSON.parse(dispatchedFormText) as Echo).form), TRICKY_FORM)
      })
    }
  }

  t.test('a JSON body is sent intact, and with forceIncludeBody covered by oauth_body_hash', async t => {
    const payload = { text: "x y!*'()[]|$+~%", unicode: 'caf\u00e9 \u{1F600}', n: [1, 2] }
    const json = JSON.stringify(payload)
    for (const method of METHODS) {
      for (const signatureType of ['header', 'query'] as const) {
        for (const forceIncludeBody of [false, true]) {
          const label = `${method} ${signatureType}${forceIncludeBody ? ' forceIncludeBody' : ''}`
          const client = await authorizedClient(t, method, signatureType, { forceIncludeBody })
          const response = await client.post('/resource/json', { json: payload })
          const text = await response.body.text()
          t.equal(response.statusCode, 200, label, { response: text })
          const echo = JSON.parse(text) as Echo
          t.equal(echo.body, json, `${label}: body intact`)
          t.equal(echo.content_type, 'application/json')
          const expected = forceIncludeBody
            ? method.endsWith('SHA256')
              ? echo.body_sha256
              : echo.body_sha1
            : undefined
          t.equal(echo.oauth_params['oauth_body_hash'], expected, `${label}: oauth_body_hash`)
        }
      }
    }
  })

  t.test('a Host header of its own is the authority of the base string URI (§3.4.1.2)', async t => {
    const client = await authorizedClient(t, 'HMAC-SHA1', 'header')
    const virtualHost = `Photos.Example.TEST:${new URL(provider.url).port}`
    for (const [label, send] of [
      ['request', () => client.get('/resource/virtual', { headers: { host: virtualHost } })],
      [
        'dispatcher',
        () =>
          request(`${provider.url}/resource/virtual`, {
            dispatcher: client.dispatcher,
            headers: { Host: virtualHost },
          }),
      ],
    ] as const) {
      const response = await send()
      const text = await response.body.text()
      t.equal(response.statusCode, 200, `${label}: signed for the virtual host`, {
        response: text,
        theirs: response.headers['x-base-string'],
      })
    }
  })

  t.test('a rejected signature surfaces as an error response, not a throw', async t => {
    const client = await authorizedClient(t, 'HMAC-SHA1', 'header')
    client.token = { ...client.token!, oauth_token_secret: 'wrong' }
    const response = await client.get('/resource/x')
    t.equal(response.statusCode, 401)
    t.equal(await response.body.text(), 'oauth_problem=signature_invalid')
  })
})
