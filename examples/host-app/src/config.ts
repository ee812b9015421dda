import { randomBytes } from 'node:crypto'

/** The example app's settings, all from the environment (SPEC §7). */
export interface AppConfig {
  port: number
  host: string
  mongodbUri: string | null
  /** Rate-limit counters shared by every instance (`REDIS_URL`); in memory when unset. */
  redisUrl: string | null
  rpId: string
  origin: string
  sessionSecret: string
  encryptionKey: Buffer
  freshAge: number
  mode: 'optional' | 'required'
  graceDays: number
  authRateLimit: number
  /** Sign-ups a minute from one address (`SIGNUP_RATE_LIMIT`). @default 10 */
  signupRateLimit: number
  /**
   * Fastify's `trustProxy` (`TRUST_PROXY`): `true`, a number of hops, or addresses/CIDRs of the proxies.
   * Needed behind a TLS-terminating proxy: the app itself serves plain HTTP, and the secure session
   * cookie is only sent on requests Fastify sees as HTTPS. Off by default, so X-Forwarded-For
   * cannot be forged to dodge the per-address rate limits.
   * @default false
   */
  trustProxy: boolean | number | string[]
  /**
   * Users whose email is listed (`ADMIN_EMAILS`, comma-separated) get the admin role once they
   * have verified that address.
   */
  adminEmails: string[]
  /** Where mails go (`SMTP_URL`, e.g. `smtp://user:pass@mail.example.com:587`); null: the development outbox. */
  smtpUrl: string | null
  /** The From of every mail (`MAIL_FROM`). @default 'Example Host App <no-reply@example.com>' */
  mailFrom: string
  /**
   * Without SMTP_URL outside production, mails and text messages are kept in memory and listed at
   * `GET /dev/mail` (and `/dev/mail.json`, `/dev/sms.json`), so the app works with no mail server.
   */
  devOutbox: boolean
  /**
   * Other sites' origins that use this app's passkeys (`RELATED_ORIGINS`, comma-separated, e.g.
   * `https://example.co.uk`): WebAuthn related origin requests. They are listed at
   * `GET /.well-known/webauthn`, accepted in every ceremony, and may send requests to the app's
   * routes like `ORIGIN` (the same app served under another domain).
   * @default []
   */
  relatedOrigins: string[]
  /**
   * The assurance level a synced passkey (backup-eligible, `swk`) proves (`SYNCED_PASSKEY_AAL`, 2 or
   * 3). NIST SP 800-63B-4 places syncable authenticators at AAL 2; a device-bound key proves AAL 3.
   * @default 2
   */
  syncedPasskeyAal: 2 | 3
  /**
   * Whether admins must use a device-bound key (`ADMIN_HARDWARE_KEYS=1`): the admin role then needs
   * `amr: ['hwk']`, so a synced passkey (`swk`) is refused for them at sign-in and step-up.
   * @default false // any security key or passkey
   */
  adminHardwareKeys: boolean
  /**
   * The automatic passkey upgrade (`PASSKEY_AUTO_UPGRADE=0` turns it off): right after a sign-in with
   * the password and a second factor, the login page asks the password manager to save a passkey.
   * @default true
   */
  passkeyAutoUpgrade: boolean
  /** Swagger UI at `/docs` and the OpenAPI document at `/docs/json`: outside production only (`NODE_ENV`). */
  apiDocs: boolean
  warnings: string[]
}

function int (env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number, got "${raw}"`)
  return value
}

/** A yes/no variable: 1/true/yes/on or 0/false/no/off (any case); unset or empty is `fallback`. */
function flag (env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase()
  if (raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new TypeError(`${name} must be 1 or 0 (true or false), got "${env[name]}"`)
}

// scheme://host[:port] and nothing after it: WebAuthn and the origin checks compare origins as strings.
const ORIGIN_PATTERN = /^https?:\/\/[^/?#\s]+$/

function relatedOrigins (raw: string | undefined, origin: string): string[] {
  const list = (raw ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean)
  const wrong = list.find((o) => !ORIGIN_PATTERN.test(o))
  if (wrong !== undefined) throw new TypeError(`RELATED_ORIGINS must be comma-separated origins such as https://example.co.uk, got "${wrong}"`)
  return [...new Set(list)].filter((o) => o !== origin)
}

function trustProxy (raw: string | undefined): AppConfig['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d+$/.test(raw)) return Number(raw)
  return raw.split(',').map((a) => a.trim()).filter(Boolean)
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): AppConfig {
  const warnings: string[] = []
  const port = int(env, 'PORT', 3000)
  let sessionSecret = env.SESSION_SECRET ?? ''
  if (sessionSecret === '') {
    sessionSecret = randomBytes(32).toString('hex')
    warnings.push('SESSION_SECRET is not set: using a random one, so sessions end when the app restarts')
  } else if (sessionSecret.length < 32) {
    throw new TypeError('SESSION_SECRET must be at least 32 characters')
  }
  let encryptionKey: Buffer
  if (env.MFA_ENCRYPTION_KEY) {
    encryptionKey = Buffer.from(env.MFA_ENCRYPTION_KEY, 'base64')
    if (encryptionKey.length !== 32) throw new TypeError('MFA_ENCRYPTION_KEY must be 32 bytes, base64')
  } else {
    encryptionKey = randomBytes(32)
    warnings.push('MFA_ENCRYPTION_KEY is not set: using a random key, so stored TOTP secrets cannot be read after a restart')
  }
  const mode = env.MFA_MODE ?? 'optional'
  if (mode !== 'optional' && mode !== 'required') throw new TypeError('MFA_MODE must be "optional" or "required"')
  const signupRateLimit = int(env, 'SIGNUP_RATE_LIMIT', 10)
  if (signupRateLimit === 0) throw new TypeError('SIGNUP_RATE_LIMIT must be at least 1')
  const origin = env.ORIGIN || `http://localhost:${port}`
  const related = relatedOrigins(env.RELATED_ORIGINS, origin)
  const syncedAal = env.SYNCED_PASSKEY_AAL || '2'
  if (syncedAal !== '2' && syncedAal !== '3') throw new TypeError(`SYNCED_PASSKEY_AAL must be 2 or 3, got "${syncedAal}"`)
  const proxies = trustProxy(env.TRUST_PROXY)
  const smtpUrl = env.SMTP_URL || null
  if (smtpUrl !== null && !/^smtps?:\/\//i.test(smtpUrl)) throw new TypeError('SMTP_URL must be an smtp:// or smtps:// URL')
  const production = env.NODE_ENV === 'production'
  // Sign-up verification, sign-in codes and security notifications all need mail: in production
  // the app does not start without a way to send it (the outbox would show codes to anyone).
  if (production && smtpUrl === null) throw new TypeError('SMTP_URL must be set when NODE_ENV is production: the app sends verification codes, sign-in codes and security notifications by email')
  if (smtpUrl === null && !production) {
    warnings.push('SMTP_URL is not set: mails and text messages go to the development outbox at /dev/mail, which anyone who can open this app can read')
  }
  if (origin.startsWith('https://') && proxies === false) {
    warnings.push('ORIGIN is https:// but TRUST_PROXY is not set: the app serves plain HTTP, so behind a TLS proxy set TRUST_PROXY or the secure session cookie is never sent')
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    mongodbUri: env.MONGODB_URI || null,
    redisUrl: env.REDIS_URL || null,
    rpId: env.RP_ID || 'localhost',
    origin,
    sessionSecret,
    encryptionKey,
    freshAge: int(env, 'MFA_FRESH_AGE', 300),
    mode,
    graceDays: int(env, 'MFA_GRACE_DAYS', 7),
    authRateLimit: int(env, 'AUTH_RATE_LIMIT', 30),
    signupRateLimit,
    trustProxy: proxies,
    adminEmails: (env.ADMIN_EMAILS ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean),
    smtpUrl,
    mailFrom: env.MAIL_FROM || 'Example Host App <no-reply@example.com>',
    devOutbox: smtpUrl === null,
    relatedOrigins: related,
    syncedPasskeyAal: syncedAal === '3' ? 3 : 2,
    adminHardwareKeys: flag(env, 'ADMIN_HARDWARE_KEYS', false),
    passkeyAutoUpgrade: flag(env, 'PASSKEY_AUTO_UPGRADE', true),
    apiDocs: !production,
    warnings
  }
}
