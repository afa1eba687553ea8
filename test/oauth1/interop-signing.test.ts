// Acceptance 3 of issue 5, at the signing layer: requests signed by lib/oauth1 and sent with
// plain undici are verified by oauthlib (a provider this project did not write), for every
// method the provider offers and every placement. test/oauth1/interop.test.ts repeats this
// through OAuth1Client and its pooled session.
import t from 'tap'
import { request } from 'undici'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import type { SignatureType } from '../../lib/oauth1/placement.js'
import { type SignRequestOptions, signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner, type SignatureMethod } from '../../lib/oauth1/signature.js'
import {
  INTEROP_METHODS as METHODS,
  OAUTH1_CLIENT,
  OAUTH1_PLAIN_CLIENT,
  oauth1ProviderSkipReason,
  INTEROP_PLACEMENTS as PLACEMENTS,
  startOAuth1Provider,
  TRICKY_FORM,
} from '../fixtures/oauth1-provider.js'

interface Echo {
  method: string
  query: [string, string][]
  body: string
  form: [string, string][] | null
  oauth_params: Record<string, string>
  signature_type: SignatureType
  realm: string | null
  body_sha1: string
  body_sha256: string
}

async function send(prepared: PreparedRequest) {
  const response = await request(prepared.url, {
    method: prepared.method as 'GET',
    headers: prepared.headers,
    body: prepared.body as string | null,
  })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

function prepared(method: string, url: string, form?: [string, string][]): PreparedRequest {
  const request: PreparedRequest = { method, url: new URL(url), headers: {}, body: null, form: undefined }
  if (form !== undefined) {
    request.form = new URLSearchParams(form)
    request.body = request.form.toString()
    request.headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  return request
}

const skip = oauth1ProviderSkipReason()

t.test('oauthlib verifies what lib/oauth1 signs', { skip }, async t => {
  const provider = await startOAuth1Provider()
  t.teardown(() => provider.close())
  const { rsaKey } = OAUTH1_CLIENT

  for (const method of METHODS) {
    for (const signatureType of PLACEMENTS) {
      t.test(`${method} in the ${signatureType}`, async t => {
        // See OAUTH1_PLAIN_CLIENT: an oauthlib bug, not a property of the signature.
        const { clientId, clientSecret } =
          method === 'PLAINTEXT' && signatureType !== 'header' ? OAUTH1_PLAIN_CLIENT : OAUTH1_CLIENT
        const sign = (
          req: PreparedRequest,
          options: Partial<SignRequestOptions> & { tokenSecret?: string },
        ) =>
          signRequest(req, {
            clientId,
            signatureType,
            version: '1.0',
            signer: createSigner(method, { clientSecret, tokenSecret: options.tokenSecret, rsaKey }),
            ...options,
          })

        // Temporary credentials (RFC 5849 §2.1).
        const initiate = prepared('POST', `${provider.url}/request_token`)
        sign(initiate, { callback: 'http://127.0.0.1:1/callback' })
        const temporary = await send(initiate)
        t.equal(temporary.status, 200, 'temporary credentials', { response: temporary.text })
        const temp = new URLSearchParams(temporary.text)
        t.equal(temp.get('oauth_callback_confirmed'), 'true')

        // Resource owner authorization (§2.2), approved at once by the provider.
        const authorize = await send(
          prepared('GET', `${provider.url}/authorize?oauth_token=${temp.get('oauth_token')}`),
        )
        t.equal(authorize.status, 302)
        const callback = new URL(String(authorize.headers['location']))
        t.equal(callback.searchParams.get('oauth_token'), temp.get('oauth_token'))

        // Token credentials (§2.3).
        const exchange = prepared('POST', `${provider.url}/access_token`)
        sign(exchange, {
          token: temp.get('oauth_token')!,
          tokenSecret: temp.get('oauth_token_secret')!,
          verifier: callback.searchParams.get('oauth_verifier')!,
        })
        const tokenResponse = await send(exchange)
        t.equal(tokenResponse.status, 200, 'token credentials', { response: tokenResponse.text })
        const access = new URLSearchParams(tokenResponse.text)
        const token = access.get('oauth_token')!
        const tokenSecret = access.get('oauth_token_secret')!

        // Signed GET with a query that strict decoders reject unless it is re-encoded.
        const get = prepared('GET', `${provider.url}/resource/photos?q=a|b&fields[a]=1&s=it's+ok&e=`)
        sign(get, { token, tokenSecret, realm: 'photos' })
        const got = await send(get)
        t.equal(got.status, 200, 'signed GET', { response: got.text, theirs: got.headers['x-base-string'] })
        const echo = JSON.parse(got.text) as Echo
        t.same(
          echo.query.filter(([name]) => !name.startsWith('oauth_')),
          [
            ['q', 'a|b'],
            ['fields[a]', '1'],
            ['s', "it's ok"],
            ['e', ''],
          ],
        )
        t.equal(echo.signature_type, signatureType)
        if (signatureType === 'header') t.equal(echo.realm, 'photos')

        // Signed POST with a form body of tricky values.
        const post = prepared('POST', `${provider.url}/resource/upload?x=1`, TRICKY_FORM)
        sign(post, { token, tokenSecret })
        const posted = await send(post)
        t.equal(posted.status, 200, 'signed form POST', {
          response: posted.text,
          theirs: posted.headers['x-base-string'],
        })
        const postEcho = JSON.parse(posted.text) as Echo
        t.same(
          postEcho.form?.filter(([name]) => !name.startsWith('oauth_')),
          TRICKY_FORM,
        )
        t.equal(postEcho.signature_type, signatureType)
      })
    }
  }

  t.test('a JSON body is sent intact and covered by oauth_body_hash', async t => {
    // The provider verifies the signature over oauth_body_hash; the body digest is checked here.
    const json = JSON.stringify({ text: "x y!*'()[]|$+~%", unicode: 'caf\u00e9 \u{1F600}' })
    for (const method of METHODS) {
      for (const signatureType of ['header', 'query'] as const) {
        const { clientId, clientSecret } =
          method === 'PLAINTEXT' && signatureType !== 'header' ? OAUTH1_PLAIN_CLIENT : OAUTH1_CLIENT
        const access = await threeLegged(provider.url, method, clientId, clientSecret)
        const post = prepared('POST', `${provider.url}/resource/json`)
        post.body = json
        post.headers['content-type'] = 'application/json'
        signRequest(post, {
          clientId,
          token: access.token,
          signatureType,
          forceIncludeBody: true,
          version: '1.0',
          signer: createSigner(method, { clientSecret, tokenSecret: access.tokenSecret, rsaKey }),
        })
        const response = await send(post)
        t.equal(response.status, 200, `${method} ${signatureType}`, { response: response.text })
        const echo = JSON.parse(response.text) as Echo
        t.equal(echo.body, json, 'body intact')
        const expected = method.endsWith('SHA256') ? echo.body_sha256 : echo.body_sha1
        t.equal(echo.oauth_params['oauth_body_hash'], expected, `${method} ${signatureType} body hash`)
      }
    }
  })

  async function threeLegged(url: string, method: SignatureMethod, clientId: string, clientSecret: string) {
    const initiate = prepared('POST', `${url}/request_token`)
    signRequest(initiate, {
      clientId,
      signatureType: 'header',
      callback: 'http://127.0.0.1:1/callback',
      signer: createSigner(method, { clientSecret, rsaKey }),
    })
    const temp = new URLSearchParams((await send(initiate)).text)
    const authorize = await send(prepared('GET', `${url}/authorize?oauth_token=${temp.get('oauth_token')}`))
    const verifier = new URL(String(authorize.headers['location'])).searchParams.get('oauth_verifier')!
    const exchange = prepared('POST', `${url}/access_token`)
    signRequest(exchange, {
      clientId,
      signatureType: 'header',
      token: temp.get('oauth_token')!,
      verifier,
      signer: createSigner(method, { clientSecret, tokenSecret: temp.get('oauth_token_secret')!, rsaKey }),
    })
    const access = new URLSearchParams((await send(exchange)).text)
    return { token: access.get('oauth_token')!, tokenSecret: access.get('oauth_token_secret')! }
  }
})
