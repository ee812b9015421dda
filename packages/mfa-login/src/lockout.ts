import type { FastifyRequest } from 'fastify'
import { errors as coreErrors, type MfaApi } from '@fastify-mfa/core'
import { withDetails, type FactorResult, type MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import type { LoginStore } from './store.js'

/** The account lockout around every second-factor check (login and step-up), stored so it spans instances. */
export function createLockout (mfa: MfaApi, store: LoginStore, maxConsecutive: number) {
  const lockedError = (lockedMs: number) => withDetails(new errors.FST_MFA_LOCKED(), { retryAfter: Math.ceil(lockedMs / 1000) })
  const codesBlockedError = () => withDetails(new errors.FST_MFA_CODES_BLOCKED(), { methods: mfa.factors.list().filter((f) => f.phishingResistant).map((f) => f.id) })

  /** Throws 423 while the account is locked; returns whether codes are blocked and failures are on record. */
  async function assertNotLocked (userId: string): Promise<{ codesBlocked: boolean, hasFailures: boolean }> {
    const { lockedMs, codesBlocked, hasFailures } = await store.lockState(userId)
    if (lockedMs > 0) throw lockedError(lockedMs)
    return { codesBlocked, hasFailures }
  }

  /**
   * Runs one second-factor check under the account lockout (see `startCheck`): `run` checks, and on a
   * wrong code records the failure (`refuse`) and throws before the check's mark is removed; when it
   * returns, the factor was right and the run of failures ends. A check refused before it ran calls
   * `onRefused` (to give back a login attempt it did not use).
   */
  async function underLockout<T> (userId: string, factor: MfaFactor, run: () => Promise<T>, onRefused?: () => Promise<void>): Promise<T> {
    const start = await store.startCheck(userId, !factor.phishingResistant)
    if (!('mark' in start)) {
      await onRefused?.()
      throw 'lockedMs' in start ? lockedError(start.lockedMs) : codesBlockedError()
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
    const { lockedMs, codesBlocked } = await store.recordFailure(userId)
    await mfa.emit('mfa.code_refused', { userId, method, request, details: { reason: result.ok ? 'unknown' : result.reason } })
    if (codesBlocked) {
      await mfa.emit('mfa.codes_blocked', { userId, method, request, details: { consecutiveFailures: maxConsecutive, until: 'a phishing-resistant factor or a support reset' } })
    }
    if (lockedMs > 0) {
      await mfa.emit('login.locked', { userId, method, request, details: { seconds: Math.ceil(lockedMs / 1000) } })
      throw lockedError(lockedMs)
    }
    const err = new coreErrors.FST_MFA_INVALID_CODE()
    throw attemptsLeft === undefined ? err : withDetails(err, { attemptsLeft })
  }

  return { assertNotLocked, underLockout, refuse, codesBlockedError, resetFailures: store.resetFailures }
}

export type Lockout = ReturnType<typeof createLockout>
