// The bench measures the compiled library in dist/ (tsc's output, what users load; `npm run bench`
// builds it first), not tsx's on-the-fly transform of lib/: esbuild's keepNames helper there adds
// a call per closure created, which would be charged to the hot path. Types come from lib/ (the
// same source), so the bench typechecks without a build.
type OAuth2Module = typeof import('../lib/oauth2/client.js')
type OAuth1Module = typeof import('../lib/oauth1/client.js')
type AssertionModule = typeof import('../lib/oauth2/assertion-client.js')
type RedisModule = typeof import('../lib/redis/index.js')

function load<T>(path: string): Promise<T> {
  return import(new URL(`../dist/${path}`, import.meta.url).href) as Promise<T>
}

export const { OAuth2Client } = await load<OAuth2Module>('oauth2/client.js')
export const { OAuth1Client } = await load<OAuth1Module>('oauth1/client.js')
export const { AssertionClient } = await load<AssertionModule>('oauth2/assertion-client.js')
export const { RedisTokenStore } = await load<RedisModule>('redis/index.js')
export type OAuth2Client = import('../lib/oauth2/client.js').OAuth2Client
export type OAuth1Client = import('../lib/oauth1/client.js').OAuth1Client
export type AssertionClient = import('../lib/oauth2/assertion-client.js').AssertionClient
