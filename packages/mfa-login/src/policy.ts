import type { MfaApi } from '@fastify-mfa/core'
import { withDetails } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import type { LoginUser, ResolvedLoginOptions } from './options.js'

const DAY = 86_400_000

/**
 * What the policy allows a user now. Every path that proves a factor or opens a session asks for
 * it: the password step (and `login.begin`), the second step, passkey sign-in and step-up.
 */
export interface Decision {
  user: LoginUser
  /** Factor ids the user has (recovery ones only next to a primary one). */
  enrolled: string[]
  /** The methods the user's roles require, or null when no role restricts them. */
  required: string[] | null
  /**
   * What may prove the second factor: the enrolled methods the roles allow. When the user has a
   * factor but none the roles allow, their enrolled ones, and success gives only an enrol-only
   * session (so the password alone never does, and the user can add what the role needs).
   */
  methods: string[]
  /** Whether proving one of `methods` gives a full session (false: enrol-only). */
  fullSession: boolean
  /** A remembered device may stand in for the second factor (never where a role names methods). */
  deviceMaySkip: boolean
  /** With no factor at all: the password gives an enrol-only session (a role needs one, or the grace period is over). */
  mustEnrol: boolean
  /** RFC 8176 values every check must carry for the user's roles (`['hwk']`: a device-bound key), or null. */
  requiredAmr: string[] | null
}

export function createPolicy (mfa: MfaApi, opts: ResolvedLoginOptions) {
  async function rolePolicies (user: LoginUser): Promise<{ methods: string[] | null, amr: string[] | null }> {
    const roles = await opts.getRoles(user)
    const policies = roles.map((r) => opts.roles[r]).filter((p) => p !== undefined)
    if (policies.length === 0) return { methods: null, amr: null }
    // A user with several restricted roles must satisfy all of them.
    const methods = policies.reduce<string[]>((acc, p, i) => i === 0 ? [...p.methods] : acc.filter((m) => p.methods.includes(m)), [])
    const amr = [...new Set(policies.flatMap((p) => p.amr ?? []))]
    return { methods, amr: amr.length > 0 ? amr : null }
  }

  function pastGracePeriod (user: LoginUser): boolean {
    const created = user.createdAt !== undefined ? new Date(user.createdAt).getTime() : mfa.now()
    const start = Math.max(created, opts.policyStart?.getTime() ?? 0)
    return mfa.now() > start + opts.gracePeriod * DAY
  }

  /** The decision for `userId`; a user the host does not know is refused like a wrong password. */
  async function decide (userId: string): Promise<Decision> {
    const [user, enrolled] = await Promise.all([opts.getUser(userId), mfa.factors.enrolled(userId)])
    if (!user) throw new errors.FST_MFA_INVALID_CREDENTIALS()
    const { methods: required, amr: requiredAmr } = await rolePolicies(user)
    const allowed = required ? enrolled.filter((m) => required.includes(m)) : enrolled
    const fullSession = allowed.length > 0 || enrolled.length === 0
    return {
      user,
      enrolled,
      required,
      methods: fullSession ? allowed : enrolled,
      fullSession,
      deviceMaySkip: required === null && allowed.length > 0,
      mustEnrol: enrolled.length === 0 && (required !== null || (opts.mode === 'required' && pastGracePeriod(user))),
      requiredAmr
    }
  }

  /** Throws 403 `FST_MFA_METHOD_NOT_ALLOWED` (with the methods that would do) unless `method` may prove a factor now. */
  function assertMethod (decision: Decision, method: string): void {
    if (!decision.methods.includes(method)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: decision.methods })
  }

  /**
   * Throws 403 `FST_MFA_METHOD_NOT_ALLOWED` when a verified check lacks what the roles require of it
   * (a synced passkey where the role needs a device-bound key); the check then counts for nothing (in an enrol-only session it only makes the session fresh enough to add what the role needs).
   */
  const meetsResult = (requiredAmr: string[] | null | undefined, amr: string[]): boolean => !requiredAmr || requiredAmr.every((a) => amr.includes(a))

  function assertResult (requiredAmr: string[] | null | undefined, amr: string[]): void {
    if (!meetsResult(requiredAmr, amr)) {
      throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { reason: 'authenticator_not_allowed', amr: requiredAmr })
    }
  }

  /** Fails at `ready` when a role names a method that no plugin registered. */
  function checkRoles (): void {
    for (const [role, policy] of Object.entries(opts.roles)) {
      const unknown = policy.methods.filter((m) => !mfa.factors.get(m))
      if (unknown.length > 0) {
        throw new TypeError(`@fastify-mfa/mfa-login: role "${role}" names ${unknown.map((m) => `"${m}"`).join(', ')}, which no registered plugin provides (registered: ${mfa.factors.list().map((f) => f.id).join(', ') || 'none'})`)
      }
    }
  }

  return { decide, assertMethod, assertResult, meetsResult, checkRoles }
}

export type Policy = ReturnType<typeof createPolicy>
