import type { FastifyRequest } from 'fastify'
import { errors as coreErrors, type MfaApi } from '@fastify-mfa/core'
import { withDetails, type FactorResult, type MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import type { CheckEntry, LockoutStore, LockSnapshot } from './lockoutStore.js'
import type { PendingLogin } from './store.js'

/** What a check under the lockout is given: its login attempt (if any), and `refuse` for a wrong factor. */
export interface LockedCheck {
  attempt: CheckEntry['attempt']
  /** Wrong second factor: counts toward the lockout and answers 401 (or 423 when it locked). */
  refuse(request: FastifyRequest, method: string, result: FactorResult): Promise<never>
}

/** The account lockout around every second-factor check (login and step-up), stored so it spans instances. */
export function createLockout (mfa: MfaApi, store: LockoutStore, maxConsecutive: number) {
  const lockedError = (lockedMs: number) => withDetails(new errors.FST_MFA_LOCKED(), { retryAfter: Math.ceil(lockedMs / 1000) })
  const codesBlockedError = () => withDetails(new errors.FST_MFA_CODES_BLOCKED(), { methods: mfa.factors.list().filter((f) => f.phishingResistant).map((f) => f.id) })

  /** Throws 423 while the account is locked; returns the lockout as read (a pending login keeps it). */
  async function assertNotLocked (userId: string): Promise<LockSnapshot> {
    const snap = await store.read(userId)
    const lockedMs = snap.lockedUntil - mfa.now()
    if (lockedMs > 0) throw lockedError(lockedMs)
    return snap
  }

  /**
   * Runs one second-factor check under the account lockout: it takes a slot of the account's run of
   * checks first (and, for a login, one of the login's attempts), so checks in flight and failed on
   * any number of logins and instances never exceed the threshold. `run` checks, and on a wrong code
   * calls `refuse`, which keeps the slot as the failure; when `run` returns, the factor was right and
   * the run of failures ends. An error gives the slot back. A login out of attempts calls `expired`.
   */
  async function underLockout<T> (userId: string, factor: MfaFactor, run: (check: LockedCheck) => Promise<T>,
    login?: { pending: PendingLogin, expired: () => Promise<never> }): Promise<T> {
    const start = await store.start(userId, login?.pending.lock ?? null, !factor.phishingResistant,
      login ? { id: login.pending._id, expiresAt: login.pending.expiresAt } : null)
    if ('refused' in start) {
      if (start.refused === 'expired') return await login!.expired()
      throw start.refused === 'locked' ? lockedError(start.lockedMs) : codesBlockedError()
    }
    let failed = false
    const refuse = async (request: FastifyRequest, method: string, result: FactorResult): Promise<never> => {
      failed = true
      // The failure counts before anything else can fail (the audit write included).
      const { lockedMs, codesBlocked } = await store.failed(start)
      await mfa.emit('mfa.code_refused', { userId, method, request, details: { reason: result.ok ? 'unknown' : result.reason } })
      if (codesBlocked) {
        await mfa.emit('mfa.codes_blocked', { userId, method, request, details: { consecutiveFailures: maxConsecutive, until: 'a phishing-resistant factor or a support reset' } })
      }
      if (lockedMs > 0) {
        await mfa.emit('login.locked', { userId, method, request, details: { seconds: Math.ceil(lockedMs / 1000) } })
        throw lockedError(lockedMs)
      }
      const err = new coreErrors.FST_MFA_INVALID_CODE()
      throw start.attempt === null ? err : withDetails(err, { attemptsLeft: start.attempt.left })
    }
    let value: T
    try {
      value = await run({ attempt: start.attempt, refuse })
    } catch (err) {
      if (!failed) await store.release(start).catch(() => {})
      throw err
    }
    await store.passed(start)
    return value
  }

  return { assertNotLocked, underLockout, codesBlockedError, resetFailures: store.reset }
}

export type Lockout = ReturnType<typeof createLockout>
