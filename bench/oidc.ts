/**
 * ID token validations per second: OAuth2Client's validation path (lib/oauth2/oidc/relying-party.ts: the
 * JWKS cache lookup, the imported-key cache, the RS256 signature and every claim check of OpenID
 * Connect Core §3.1.3.7) against a minimal jose `jwtVerify` with a local key and its
 * issuer/audience checks. The JWKS is fetched once before measuring (a function returns it: no
 * socket), as a warm client has it. Interleaved rounds; ratios within a round.
 *
 *   npm run build && node --import tsx bench/oidc.ts [validations per round] [rounds]
 */
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { median, round } from './stats.js'

type RelyingPartyModule = typeof import('../lib/oauth2/oidc/relying-party.js')
const { RelyingParty } = (await import(
  new URL('../dist/oauth2/oidc/relying-party.js', import.meta.url).href
)) as RelyingPartyModule

const ISSUER = 'https://op.example'
const CLIENT_ID = 'bench-client'

async function rate(iterations: number, once: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) await once()
  return iterations / ((performance.now() - started) / 1000)
}

export async function oidcBench(iterations: number, rounds: number) {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' }
  const now = Math.floor(Date.now() / 1000)
  const idToken = await new SignJWT({ nonce: 'n-1', sub: 'alice' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(CLIENT_ID)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)
  const metadata = {
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/jwks`,
    id_token_signing_alg_values_supported: ['RS256'],
  }
  const relyingParty = new RelyingParty({
    clientId: CLIENT_ID,
    clientSecret: undefined,
    // One metadata object, as an OAuth2Client holds between discoveries.
    metadata: () => metadata,
    idTokenSignedResponseAlg: undefined,
    clockTolerance: 30,
    jwksCooldown: 30,
    fetchJwks: async () => ({ body: JSON.stringify({ keys: [jwk] }), maxAge: undefined }),
  })
  const ours = () => relyingParty.checkIdToken(idToken, { nonce: 'n-1' }, undefined, undefined)
  const theirs = () =>
    jwtVerify(idToken, publicKey, { issuer: ISSUER, audience: CLIENT_ID, algorithms: ['RS256'] })
  await rate(Math.ceil(iterations / 4), ours)
  await rate(Math.ceil(iterations / 4), theirs)
  const oursRates: number[] = []
  const theirRates: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? ours : theirs
    const second = r % 2 === 0 ? theirs : ours
    const a = await rate(iterations, first)
    const b = await rate(iterations, second)
    const [mine, jose] = r % 2 === 0 ? [a, b] : [b, a]
    oursRates.push(mine)
    theirRates.push(jose)
    ratios.push(mine / jose)
  }
  return {
    ours: Math.round(median(oursRates)),
    jose: Math.round(median(theirRates)),
    ratio: round(median(ratios)),
  }
}

if (import.meta.url === new URL(process.argv[1]!, 'file://').href) {
  const [iterations = '5000', rounds = '5'] = process.argv.slice(2)
  const result = await oidcBench(Number(iterations), Number(rounds))
  console.log(
    `ID token validation (RS256): ${result.ours}/s, jose jwtVerify with a local key: ${result.jose}/s, ratio ${result.ratio}x`,
  )
}
