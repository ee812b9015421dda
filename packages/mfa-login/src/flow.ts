import type { FastifyReply, FastifyRequest } from 'fastify'
import { errors as coreErrors, sha256, withDetails, type FactorResult, type MfaApi } from '@fastify-mfa/core'
import { errors } from './errors.js'
import type { LoginUser, ResolvedLoginOptions } from './options.js'
import { establishSession, signedInState } from './session.js'
import type { LoginStore, PendingLogin } from './store.js'
import type { LoginAnswer } from './types.js'

const DAY = 86_400_000

export function createFlow (mfa: MfaApi, opts: ResolvedLoginOptions, store: LoginStore) {
  async function rolePolicyMethods (user: LoginUser): Promise<string[] | null> {
    const roles = await opts.getRoles(user)
    const policies = roles.map((r) => opts.roles[r]).filter((p) => p !== undefined)
    if (policies.length === 0) return null
    // A user with several restricted roles must satisfy all of them.
    return policies.reduce<string[]>((acc, p, i) => i === 0 ? [...p.methods] : acc.filter((m) => p.methods.includes(m)), [])
  }

  /** Whether `method` meets the role policy of the user (true when no role restricts the methods). */
  async function policyAllows (userId: string, method: string): Promise<boolean> {
    const user = await opts.getUser(userId)
    const required = user ? await rolePolicyMethods(user) : null
    return required === null || required.includes(method)
  }

  function pastGracePeriod (user: LoginUser): boolean {
    const created = user.createdAt !== undefined ? new Date(user.createdAt).getTime() : mfa.now()
    const start = Math.max(created, opts.policyStart?.getTime() ?? 0)
    return mfa.now() > start + opts.gracePeriod * DAY
  }

  async function complete (request: FastifyRequest, state: Parameters<typeof signedInState>[0]): Promise<LoginAnswer> {
    await establishSession(request, signedInState(state))
    await mfa.emit('login.success', { userId: state.userId, request, method: state.mfaMethod ?? null, details: { aal: state.aal, amr: state.amr } })
    return {
      step: 'complete',
      aal: state.aal,
      ...(state.enrollOnly ? { enrollmentRequired: true } : {}),
      ...(state.suggestEnrollment ? { suggestEnrollment: true } : {})
    }
  }

  /**
   * After the first factor: finish, or open a pending login for the second factor. A locked account
   * gets 423 here, after its password was right, so neither a pending login nor a remembered device
   * gets around the lock (and a wrong password does not learn of it).
   */
  async function begin (request: FastifyRequest, userId: string): Promise<LoginAnswer> {
    const user = await opts.getUser(userId)
    if (!user) throw new errors.FST_MFA_INVALID_CREDENTIALS()
    const authTime = mfa.nowSeconds()
    const [enrolled] = await Promise.all([mfa.factors.enrolled(userId), assertNotLocked(userId)])
    const required = await rolePolicyMethods(user)
    const offered = required ? enrolled.filter((m) => required.includes(m)) : enrolled
    if (offered.length === 0) {
      const mustEnrol = required !== null || (opts.mode === 'required' && pastGracePeriod(user))
      // Inside the grace period of a required policy the user is nudged at once; otherwise
      // GET /auth/session decides from the audit trail (kept off the login's hot path).
      return await complete(request, { userId, aal: 1, amr: ['pwd'], authTime, enrollOnly: mustEnrol, suggestEnrollment: !mustEnrol && opts.mode === 'required' })
    }
    // A remembered device stands in for the second factor, but never for a role that needs specific methods.
    if (required === null && mfa.devices && await mfa.devices.check(request, userId)) {
      return await complete(request, { userId, aal: 2, amr: ['pwd', 'rmd', 'mfa'], authTime })
    }
    const { token, doc } = await store.create(userId, offered)
    await establishSession(request, { aal: 0, amr: [], pending: { id: doc._id, expiresAt: Math.floor(doc.expiresAt.getTime() / 1000), methods: offered } })
    await mfa.emit('login.password_ok', { userId, request, details: { methods: offered } })
    return { step: 'mfa', mfaToken: token, methods: offered, expiresAt: doc.expiresAt.toISOString() }
  }

  async function findPending (request: FastifyRequest, mfaToken: string | undefined): Promise<PendingLogin> {
    const id = mfaToken ? sha256(mfaToken) : request.session.get('mfa')?.pending?.id
    const pending = id ? await store.find(id) : null
    if (!pending) throw new errors.FST_MFA_LOGIN_EXPIRED()
    return pending
  }

  const lockedError = (lockedMs: number) => withDetails(new errors.FST_MFA_LOCKED(), { retryAfter: Math.ceil(lockedMs / 1000) })

  /** Throws 423 while the account is locked; returns whether wrong codes are on record. */
  async function assertNotLocked (userId: string): Promise<boolean> {
    const { lockedMs, hasFailures } = await store.lockState(userId)
    if (lockedMs > 0) throw lockedError(lockedMs)
    return hasFailures
  }

  /**
   * Runs one second-factor check under the account lockout (see `startCheck`): `run` checks, and on a
   * wrong code records the failure (`refuse`) and throws before the check's mark is removed; when it
   * returns, the factor was right and the run of failures ends. A check refused before it ran calls
   * `onRefused` (to give back a login attempt it did not use).
   */
  async function underLockout<T> (userId: string, run: () => Promise<T>, onRefused?: () => Promise<void>): Promise<T> {
    const start = await store.startCheck(userId)
    if ('lockedMs' in start) {
      await onRefused?.()
      throw lockedError(start.lockedMs)
    }
    try {
      const value = await run()
      if (start.hasFailures) await store.resetFailures(userId)
      return value
    } finally {
      await store.endCheck(start.mark).catch(() => {})
    }
  }

  /** Wrong second factor: counts toward the account lockout and answers 401 (or 423 when it locked). */
  async function refuse (request: FastifyRequest, userId: string, method: string, result: FactorResult, attemptsLeft?: number): Promise<never> {
    // The failure counts before anything else can fail (the audit write included).
    const lockedMs = await store.recordFailure(userId)
    await mfa.emit('mfa.code_refused', { userId, method, request, details: { reason: result.ok ? 'unknown' : result.reason } })
    if (lockedMs > 0) {
      await mfa.emit('login.locked', { userId, method, request, details: { seconds: Math.ceil(lockedMs / 1000) } })
      throw lockedError(lockedMs)
    }
    const err = new coreErrors.FST_MFA_INVALID_CODE()
    throw attemptsLeft === undefined ? err : withDetails(err, { attemptsLeft })
  }

  /** Second step of a login: checks one factor against the pending login, then signs in. */
  async function verifyPending (request: FastifyRequest, reply: FastifyReply, input: { mfaToken?: string, method: string, rememberDevice?: boolean },
    check: (pending: PendingLogin) => Promise<FactorResult>): Promise<LoginAnswer> {
    const pending = await findPending(request, input.mfaToken)
    if (!pending.methods.includes(input.method)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: pending.methods })
    const attempt = await store.takeAttempt(pending._id)
    if (attempt === null) {
      await store.discard(pending._id)
      throw new errors.FST_MFA_LOGIN_EXPIRED()
    }
    const answer = await underLockout(pending.userId, async () => {
      const result = await check(pending)
      if (!result.ok || result.userId !== pending.userId) {
        if (attempt.left === 0) await store.discard(pending._id)
        return await refuse(request, pending.userId, input.method, result, attempt.left)
      }
      if (!await store.consume(pending)) throw new errors.FST_MFA_LOGIN_EXPIRED()
      const [answer] = await Promise.all([
        complete(request, {
          userId: pending.userId, aal: result.aal, amr: ['pwd', ...result.amr, 'mfa'],
          authTime: pending.authTime, mfaTime: mfa.nowSeconds(), mfaMethod: input.method
        }),
        mfa.emit('mfa.code_accepted', { userId: pending.userId, method: input.method, request })
      ])
      return answer
    }, async () => { await store.returnAttempt(pending._id, attempt.n) })
    if (input.rememberDevice && mfa.devices) await mfa.devices.remember(request, reply, pending.userId)
    return answer
  }

  return { begin, verifyPending, policyAllows, findPending, assertNotLocked, underLockout, refuse, complete, discardPending: store.discard }
}

export type LoginFlow = ReturnType<typeof createFlow>
