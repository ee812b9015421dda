import { optionChecks } from '@fastify-mfa/core'

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
  lockout?: { threshold?: number, durations?: number[] }
  /** Rate limits on login, verify and step-up routes (per address, IPv6 per /64, and per account). */
  rateLimit?: {
    /** Requests per window from one address. @default 30 */
    max?: number
    /** Requests per window for one account. @default 10 */
    accountMax?: number
    /** @default 60000 // ms */
    timeWindow?: number
    /** An ioredis client: counts are shared by every instance. @default in-memory */
    redis?: unknown
  } | false
  /** bcrypt cost of the dummy hash compared for unknown users: set it to the cost your password hashes use. @default 10 */
  bcryptCost?: number
  /** @default '/auth' */
  prefix?: string
}

export interface ResolvedLoginOptions extends Required<Omit<MfaLoginOptions, 'policyStart' | 'rateLimit' | 'lockout'>> {
  policyStart: Date | null
  lockout: { threshold: number, durations: number[] }
  rateLimit: { max: number, accountMax: number, timeWindow: number, redis: unknown } | false
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
  }
  const lockout = { threshold: o.lockout?.threshold ?? 5, durations: o.lockout?.durations ?? [60, 300, 900, 3600] }
  if (!positiveInt(lockout.threshold)) fail('option "lockout.threshold" must be a positive whole number')
  if (lockout.durations.length === 0 || !lockout.durations.every(positiveInt)) fail('option "lockout.durations" must be positive whole seconds')
  const rateLimit = o.rateLimit === false
    ? false
    : { max: o.rateLimit?.max ?? 30, accountMax: o.rateLimit?.accountMax ?? 10, timeWindow: o.rateLimit?.timeWindow ?? 60_000, redis: o.rateLimit?.redis ?? null }
  if (rateLimit && !(positiveInt(rateLimit.max) && positiveInt(rateLimit.accountMax) && positiveInt(rateLimit.timeWindow))) {
    fail('option "rateLimit" needs positive whole numbers for max, accountMax and timeWindow (ms)')
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
    bcryptCost: o.bcryptCost ?? 10,
    prefix: o.prefix ?? '/auth'
  }
  if (!positiveInt(resolved.pendingTtl)) fail('option "pendingTtl" must be a positive whole number of seconds')
  // Attempt n is claimed after the n-1 before it, so the limit stays small (as a second factor's should).
  if (!wholeNumber(resolved.maxAttempts, 1, 20)) fail('option "maxAttempts" must be a whole number from 1 to 20')
  if (!wholeNumber(resolved.bcryptCost, 4, 31)) fail('option "bcryptCost" must be 4 to 31')
  if (typeof resolved.prefix !== 'string' || !resolved.prefix.startsWith('/')) fail('option "prefix" must start with "/"')
  return resolved as ResolvedLoginOptions
}

