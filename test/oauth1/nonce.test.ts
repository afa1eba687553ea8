// Acceptance 4 of issue 5: 10,000 signed requests carry 10,000 distinct CSPRNG nonces and
// timestamps in whole seconds (RFC 5849 §3.3).
import t from 'tap'
import type { PreparedRequest } from '../../lib/http/prepared-request.js'
import { signRequest } from '../../lib/oauth1/sign-request.js'
import { createSigner } from '../../lib/oauth1/signature.js'

t.test('10,000 signatures, 10,000 nonces, timestamps in seconds', async t => {
  const signer = createSigner('HMAC-SHA1', { clientSecret: 'cs', tokenSecret: 'ts' })
  const nonces = new Set<string>()
  const before = Math.floor(Date.now() / 1000)
  let badTimestamps = 0
  let badNonces = 0
  for (let i = 0; i < 10_000; i++) {
    const request: PreparedRequest = {
      method: 'GET',
      url: new URL('https://api.example.com/r?i=1'),
      headers: {},
      body: null,
      form: undefined,
    }
    signRequest(request, { clientId: 'key', token: 'tok', signer, signatureType: 'header', version: '1.0' })
    const header = String(request.headers['authorization'])
    const nonce = /oauth_nonce="([^"]*)"/.exec(header)?.[1] ?? ''
    const timestamp = /oauth_timestamp="([^"]*)"/.exec(header)?.[1] ?? ''
    if (!/^[0-9a-f]{30}$/.test(nonce)) badNonces++
    nonces.add(nonce)
    const seconds = Number(timestamp)
    if (!/^\d{10}$/.test(timestamp) || seconds < before || seconds > Math.floor(Date.now() / 1000))
      badTimestamps++
  }
  t.equal(nonces.size, 10_000, 'every nonce distinct')
  t.equal(badNonces, 0, 'every nonce is 30 hex characters (120 random bits)')
  t.equal(badTimestamps, 0, 'every timestamp is the current time in whole seconds')
})
