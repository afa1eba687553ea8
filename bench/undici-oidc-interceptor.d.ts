// The package ships no types; this declares the one export the bench uses, as its README documents it.
declare module 'undici-oidc-interceptor' {
  import type { Dispatcher } from 'undici'

  export interface OidcInterceptorOptions {
    idpTokenUrl: string
    clientId: string
    clientSecret?: string
    refreshToken?: string
    urls?: string[]
    accessToken?: string
    retryOnStatusCodes?: number[]
    scope?: string
  }

  export function createOidcInterceptor(
    options: OidcInterceptorOptions,
  ): Dispatcher.DispatcherComposeInterceptor
}
