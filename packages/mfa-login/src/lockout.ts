import type { FastifyRequest } from 'fastify'
import { errors as coreErrors, withDetails, type FactorResult, type MfaApi } from '@fastify-mfa/core'
import { errors } from './errors.js'
import type { LoginStore } from './store.js'

/** The account lockout around every second-factor check (login and step-up), stored so it spans instances. */
export function createLockout (mfa: MfaApi, store: LoginStore) {
  const lockedError = (lockedMs: number) => withDetails(new errors.FST_MFA_LOCKED(), { retryAfter: Math.ceil(lockedMs / 1000) })

  /** Throws 423 while the account is locked. */
  async function assertNotLocked (userId: string): Promise<void> {
    const { lockedMs } = await store.lockState(userId)
    if (lockedMs > 0) throw lockedError(lockedMs)
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

  return { assertNotLocked, underLockout, refuse }
}

export type Lockout = ReturnType<typeof createLockout>
