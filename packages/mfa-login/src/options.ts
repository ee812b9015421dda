import type { FastifyReply, FastifyRequest } from 'fastify'
import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import { resolveBrake, type ResolvedBrakeOptions } from './brakeOptions.js'

/** What mfa-login needs to know about a host user. */
export interface LoginUser {
  id: string
  passwordHash?: string
  roles?: string[]
  createdAt?: Date | string | number
}

export interface RolePolicy {
  /** Factor ids a user with this role must use for the second factor (e.g. `['webauthn']`). */
  methods: string[]
  /**
   * RFC 8176 values a check must carry to count for this role, e.g. `['hwk']`: a device-bound
   * security key, not a synced passkey (`swk`). @default none
   */
  amr?: string[]
}

export interface MfaLoginOptions {
  /** Looks a user up by what they type as login (email, username). */
  findUserByLogin: (login: string) => Promise<LoginUser | null>
  /** Looks a user up by id (enrolment policy, roles). */
  getUser: (userId: string) => Promise<LoginUser | null>
  /** @default bcrypt comparison against `user.passwordHash` */
  verifyPassword?: (user: LoginUser, password: string) => Promise<boolean>
  /** @default user.roles ?? [] */
  getRoles?: (user: LoginUser) => string[] | Promise<string[]>
  /** `'required'`: users without a factor must enrol once the grace period is over. @default 'optional' */
  mode?: 'optional' | 'required'
  /** Days after account creation (or `policyStart`) in which a user without MFA still signs in normally. @default 7 */
  gracePeriod?: number
  /** When the `required` policy began; the grace period runs from the later of this and account creation. */
  policyStart?: Date
  /** Per-role rules, e.g. `{ admin: { methods: ['webauthn'] } }`. */
  roles?: Record<string, RolePolicy>
  /** How long a pending login waits for its second factor. @default 300 // seconds */
  pendingTtl?: number
  /** Codes a pending login may try before it is spent. @default 5 */
  maxAttempts?: number
  /** Consecutive wrong second factors that lock an account, and the growing lock times. */
  lockout?: {
    /** Wrong second factors in a row that lock the account. @default 5 */
    threshold?: number
    /** Lock times, one per lock in a row (the last repeats). @default [60, 300, 900, 3600] // seconds */
    durations?: number[]
    /**
     * Wrong second factors in a row, across locks, after which codes (TOTP, backup codes) stop being
     * accepted for the account until a phishing-resistant factor or `admin.reset` succeeds (NIST SP 800-63B §5.2.2). @default 100
     */
    maxConsecutive?: number
  }
  /**
   * The per-account brake on wrong passwords (OWASP "device cookies"): failures are counted in the
   * store per account (per typed login for unknown users, with the same answers), and past the
   * threshold clients the account does not know get 429 with a growing `retryAfter`. A browser that
   * signed in to the account before carries a device cookie and has its own, smaller budget, so a
   * stranger who knows the login cannot keep the owner out. `false` turns it off.
   */
  passwordBrake?: {
    /** Wrong passwords per window from clients the account does not know. @default 10 */
    threshold?: number
    /** The counting window. @default 900 // seconds */
    window?: number
    /** How long the brake holds once the threshold is reached, growing with each time in a row. @default [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400] // seconds */
    durations?: number[]
    /** Wrong passwords per window from one browser with the account's device cookie. @default 5 */
    knownDeviceThreshold?: number
    /** Lifetime of the device cookie (it survives sign-out). @default 15552000 // seconds = 180 days */
    deviceCookieMaxAge?: number
    /** Device cookie name (per account: a suffix is added; `__Host-` when Secure). @default 'mfa_known' */
    deviceCookieName?: string
    /** `'auto'`: Secure except over plain http to localhost. @default 'auto' */
    secure?: 'auto' | boolean
  } | false
  /** Rate limits on login, verify and step-up routes (per address, IPv6 per /64, and per account). */
  rateLimit?: {
    /** Requests per window from one address. @default 30 */
    max?: number
    /** Requests per window for one account. @default 10 */
    accountMax?: number
    /** @default 60000 // ms */
    timeWindow?: number
    /** An ioredis client: counts are shared by every instance (needed with several instances). @default in-memory */
    redis?: unknown
    /** Size of the in-memory store's LRU of counters (keys beyond it are forgotten). @default 5000 */
    cache?: number
  } | false
  /** bcrypt cost of the dummy hash compared for unknown users: set it to the cost your password hashes use. @default 10 */
  bcryptCost?: number
  /** @default '/auth' */
  prefix?: string
  /**
   * Runs the host's own sign-in code (set its session field, load its user …) when a sign-in
   * completes — after the second factor, on every path (password, passkey, remembered device, a
   * step-up that ends an enrol-only session) — and never before. The session already has its new id.
   */
  onSignedIn?: (request: FastifyRequest, reply: FastifyReply, signIn: { userId: string, aal: number, amr: string[] }) => void | Promise<void>
  /** `false`: no `POST /auth/login`, for hosts that check passwords themselves and call `login.begin()`. @default true */
  passwordRoute?: boolean
}

export type { ResolvedBrakeOptions }

export interface ResolvedLoginOptions extends Required<Omit<MfaLoginOptions, 'policyStart' | 'rateLimit' | 'lockout' | 'passwordBrake' | 'onSignedIn'>> {
  onSignedIn: MfaLoginOptions['onSignedIn'] | null
  policyStart: Date | null
  lockout: { threshold: number, durations: number[], maxConsecutive: number }
  rateLimit: { max: number, accountMax: number, timeWindow: number, redis: unknown, cache: number } | false
  passwordBrake: ResolvedBrakeOptions | false
}

const { fail, wholeNumber } = optionChecks('@fastify-mfa/mfa-login')
const positiveInt = (v: unknown): boolean => wholeNumber(v, 1)

export function resolveOptions (o: Partial<MfaLoginOptions>, verifyBcrypt: (user: LoginUser, password: string) => Promise<boolean>): ResolvedLoginOptions {
  if (typeof o.findUserByLogin !== 'function') fail('option "findUserByLogin" must be a function (login) => user | null')
  if (typeof o.getUser !== 'function') fail('option "getUser" must be a function (userId) => user | null')
  const mode = o.mode ?? 'optional'
  if (mode !== 'optional' && mode !== 'required') fail('option "mode" must be \'optional\' or \'required\'')
  const gracePeriod = o.gracePeriod ?? 7
  if (typeof gracePeriod !== 'number' || gracePeriod < 0) fail('option "gracePeriod" must be a number of days >= 0')
  const roles = o.roles ?? {}
  for (const [role, policy] of Object.entries(roles)) {
    if (!Array.isArray(policy?.methods) || policy.methods.length === 0) fail(`option "roles.${role}.methods" must list factor ids`)
    if (policy.amr !== undefined && !(Array.isArray(policy.amr) && policy.amr.length > 0 && policy.amr.every((a) => typeof a === 'string'))) {
      fail(`option "roles.${role}.amr" must list RFC 8176 method values such as "hwk"`)
    }
  }
  const lockout = { threshold: o.lockout?.threshold ?? 5, durations: o.lockout?.durations ?? [60, 300, 900, 3600], maxConsecutive: o.lockout?.maxConsecutive ?? 100 }
  if (!positiveInt(lockout.threshold)) fail('option "lockout.threshold" must be a positive whole number')
  if (!Array.isArray(lockout.durations) || lockout.durations.length === 0 || !lockout.durations.every(positiveInt)) fail('option "lockout.durations" must be positive whole seconds')
  if (!wholeNumber(lockout.maxConsecutive, lockout.threshold)) fail('option "lockout.maxConsecutive" must be a whole number, at least "lockout.threshold"')
  const passwordBrake = resolveBrake(o.passwordBrake)
  const rateLimit = o.rateLimit === false
    ? false
    : { max: o.rateLimit?.max ?? 30, accountMax: o.rateLimit?.accountMax ?? 10, timeWindow: o.rateLimit?.timeWindow ?? 60_000, redis: o.rateLimit?.redis ?? null, cache: o.rateLimit?.cache ?? 5000 }
  if (rateLimit && !(positiveInt(rateLimit.max) && positiveInt(rateLimit.accountMax) && positiveInt(rateLimit.timeWindow) && positiveInt(rateLimit.cache))) {
    fail('option "rateLimit" needs positive whole numbers for max, accountMax, timeWindow (ms) and cache')
  }
  const resolved = {
    findUserByLogin: o.findUserByLogin!,
    getUser: o.getUser!,
    verifyPassword: o.verifyPassword ?? verifyBcrypt,
    getRoles: o.getRoles ?? ((user: LoginUser) => user.roles ?? []),
    mode,
    gracePeriod,
    policyStart: o.policyStart ?? null,
    roles,
    pendingTtl: o.pendingTtl ?? 300,
    maxAttempts: o.maxAttempts ?? 5,
    lockout,
    rateLimit,
    passwordBrake,
    onSignedIn: o.onSignedIn ?? null,
    passwordRoute: o.passwordRoute ?? true,
    bcryptCost: o.bcryptCost ?? 10,
    prefix: o.prefix ?? '/auth'
  }
  if (typeof resolved.passwordRoute !== 'boolean') fail('option "passwordRoute" must be true or false')
  if (resolved.onSignedIn !== null && typeof resolved.onSignedIn !== 'function') fail('option "onSignedIn" must be a function (request, reply, { userId, aal, amr })')
  if (!positiveInt(resolved.pendingTtl)) fail('option "pendingTtl" must be a positive whole number of seconds')
  // Attempt n is claimed after the n-1 before it, so the limit stays small (as a second factor's should).
  if (!wholeNumber(resolved.maxAttempts, 1, 20)) fail('option "maxAttempts" must be a whole number from 1 to 20')
  if (!wholeNumber(resolved.bcryptCost, 4, 31)) fail('option "bcryptCost" must be 4 to 31')
  if (typeof resolved.prefix !== 'string' || !resolved.prefix.startsWith('/')) fail('option "prefix" must start with "/"')
  return resolved as ResolvedLoginOptions
}
