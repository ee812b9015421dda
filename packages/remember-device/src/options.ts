import { optionChecks } from '@fastify-mfa/core/plugin-kit'

/** Options of @fastify-mfa/remember-device. */
export interface RememberDeviceOptions {
  /**
   * Cookie name. When the cookie is Secure the `__Host-` prefix is added (`__Host-mfa_device`), so the
   * browser refuses it from a subdomain, a `Domain` attribute or plain http.
   * @default 'mfa_device'
   */
  cookieName?: string
  /** How long a remembered device skips the second factor, counted from when it was remembered. @default 2592000 // seconds = 30 days */
  maxAge?: number
  /**
   * `'auto'`: Secure unless the request came over plain http to localhost / 127.0.0.1 / ::1 (local
   * development); `true`: always Secure; `false`: never (tests only).
   * Behind a TLS-terminating proxy set Fastify's `trustProxy` so `request.protocol` is right.
   * @default 'auto'
   */
  secure?: 'auto' | boolean
  /** Prefix of the `/devices` routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
  /** Collection name, after core's `collectionPrefix` (`mfa_devices`). @default 'devices' */
  collection?: string
}

export interface ResolvedRememberDeviceOptions {
  cookieName: string
  maxAge: number
  secure: 'auto' | boolean
  prefix: string
  collection: string
}

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.6.2); a longer record could never be presented. */
const MAX_AGE_LIMIT = 400 * 24 * 3600
// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/

const { fail, wholeNumber } = optionChecks('@fastify-mfa/remember-device')

export function resolveOptions (options: RememberDeviceOptions, defaultPrefix: string): ResolvedRememberDeviceOptions {
  const { cookieName = 'mfa_device', maxAge = 30 * 24 * 3600, secure = 'auto', prefix = defaultPrefix, collection = 'devices' } = options
  if (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName) || /^__(host|secure)-/i.test(cookieName)) {
    fail('option "cookieName" must be a cookie name of up to 64 token characters, without a __Host- or __Secure- prefix (added when Secure)')
  }
  if (!wholeNumber(maxAge, 1, MAX_AGE_LIMIT)) {
    fail(`option "maxAge" must be a whole number of seconds between 1 and ${MAX_AGE_LIMIT} (400 days)`)
  }
  if (secure !== 'auto' && typeof secure !== 'boolean') fail('option "secure" must be \'auto\', true or false')
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) fail('option "prefix" must be a path starting with "/"')
  if (typeof collection !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(collection)) {
    fail('option "collection" must be 1 to 64 letters, digits or underscores')
  }
  return { cookieName, maxAge, secure, prefix, collection }
}
