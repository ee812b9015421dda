import type { FastifyRequest } from 'fastify'
import type { EventLog, MfaEvent } from './events.js'
import type { FactorRegistry } from './factors.js'
import type { SessionRegistry } from './sessions.js'
import type { MfaCollection } from './store/types.js'
import type { RecoveryCodesApi } from './types.js'
import type { MfaUserRecord, UserRecords } from './users.js'

/**
 * What a package keeps per user, so core can end or delete it: mfa-login its pending logins and
 * lockout, remember-device its devices. Factors are reached through the factor registry.
 */
export interface UserDataOwner {
  /** After a security change (password, a factor removed or replaced, admin reset): end what the old state opened. */
  securityChanged?(userId: string, request?: FastifyRequest): Promise<void>
  /** Account deletion: delete every record of the user this package keeps. */
  forget?(userId: string): Promise<void>
}

export interface SecurityChange {
  request?: FastifyRequest
  /** Why, for the audit trail: `password_changed`, `totp.disabled`, `admin_reset` … */
  reason?: string
  /** End the request's own session too (admin reset, account deletion); by default it goes on with a new id. */
  endCurrent?: boolean
}

interface Parts {
  users: UserRecords
  userRecords: MfaCollection<MfaUserRecord>
  sessions: SessionRegistry
  factors: FactorRegistry
  events: EventLog
  eventRecords: MfaCollection<MfaEvent>
  recoveryCodes: () => RecoveryCodesApi | undefined
}

/** The account-wide consequences of security changes and account deletion (SPEC §8), in one place. */
export function createAccounts ({ users, userRecords, sessions, factors, events, eventRecords, recoveryCodes }: Parts) {
  const owners: UserDataOwner[] = []

  async function securityStampChanged (userId: string, { request, reason = 'unspecified', endCurrent = false }: SecurityChange = {}): Promise<void> {
    await users.changeSecurityStamp(userId)
    for (const owner of owners) await owner.securityChanged?.(userId, request)
    const ended = await sessions.endAll(userId, { request, keepCurrent: !endCurrent })
    // The session that made the change goes on, with a new id.
    const current = request?.session?.get('mfa')
    if (!endCurrent && request && current?.userId === userId) await sessions.establish(request, current)
    await events.emit('security_stamp.changed', { userId, request, details: { reason, sessionsEnded: ended } })
  }

  return {
    register (owner: UserDataOwner): void { owners.push(owner) },
    securityStampChanged,

    /**
     * A factor was removed (or replaced): when no primary factor is left, the backup codes go too
     * (a later enrolment issues a new set); then it is a security change.
     */
    async factorRemoved (userId: string, change: SecurityChange & { method?: string } = {}): Promise<void> {
      const codes = recoveryCodes()
      if (codes && !await factors.hasPrimary(userId)) await codes.remove(userId, change.request)
      await securityStampChanged(userId, change)
      await events.emit('factor.removed', { userId, method: change.method ?? null, request: change.request, details: { reason: change.reason ?? 'unspecified' } })
    },

    /** A factor was added (or replaced): audited as `factor.added` (and the user is told, when notifications are on). */
    async factorAdded (userId: string, { request, method }: { request?: FastifyRequest, method: string }): Promise<void> {
      await events.emit('factor.added', { userId, method, request })
    },

    /** Account deletion: every MFA record of the user, and every session of theirs, ends. */
    async forgetUser (userId: string, { request }: { request?: FastifyRequest } = {}): Promise<void> {
      await sessions.endAll(userId, { request })
      for (const factor of factors.list()) await factor.remove(userId, request)
      for (const owner of owners) await owner.forget?.(userId)
      await eventRecords.deleteMany({ userId })
      await userRecords.deleteOne({ _id: userId })
      request?.log.info({ mfaForgotten: true }, 'fastify-mfa: every MFA record of a user was deleted')
    }
  }
}

export type Accounts = ReturnType<typeof createAccounts>
