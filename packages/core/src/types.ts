/// <reference types="@fastify/session" preserve="true" />
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { EmitInput, EventHook, MfaEvent } from './events.js'
import type { MfaEventMap, MfaEventType } from './eventMap.js'
import type { FactorRegistry } from './factors.js'
import type { RequireOptions } from './guards.js'
import type { MfaCrypto } from './rotation.js'
import type { MfaSessionState, RequestMfa } from './state.js'
import type { IndexSpec, MfaCollection, MfaStore, StoredDocument } from './store/types.js'
import type { UserRecords } from './users.js'
import type { SecurityChange, UserDataOwner } from './accounts.js'
import type { SessionRegistry } from './sessions.js'
import type { Notifications } from './notifications.js'

/** Set by @fastify-mfa/remember-device; mfa-login calls it without importing the package. */
export interface RememberDeviceApi {
  /** True when the request carries a valid remembered-device cookie of `userId` (marks it used). */
  check(request: FastifyRequest, userId: string): Promise<boolean>
  /** Issues the cookie and its record after a successful second factor. */
  remember(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void>
  /** Revokes every remembered device of the user. */
  revokeAll(userId: string, request?: FastifyRequest): Promise<number>
}

/** Set by @fastify-mfa/backup-codes; other factors call it when a user enrols a first factor. */
export interface RecoveryCodesApi {
  /** Issues codes when the user has none; returns them (shown once) or null. */
  issueIfNone(userId: string, request?: FastifyRequest): Promise<string[] | null>
  /** Deletes every code of the user (their last primary factor is gone). */
  remove(userId: string, request?: FastifyRequest): Promise<void>
}

/** Contributes one field of `GET /mfa` (e.g. `totp: true`). */
export type SummaryProvider = (userId: string) => Promise<unknown>

export interface MfaStats {
  /** Users with at least one primary factor (recovery codes alone do not count). */
  usersWithMfa: number
  /** Users per factor id. */
  byMethod: Record<string, number>
}

/**
 * `fastify.mfa`. Other packages add their parts by merging into this interface
 * (`declare module '@fastify-mfa/core' { interface MfaApi { login: … } }`).
 */
export interface MfaApi {
  readonly options: {
    freshAge: number
    prefix: string
    collectionPrefix: string
    storeKind: MfaStore['kind']
    /** Origins allowed to send state-changing requests; null: the request's own origin. */
    origins: readonly string[] | null
    sessionLifetime: number
  }
  readonly store: MfaStore
  /** Epoch milliseconds (the `now` option). */
  now(): number
  nowSeconds(): number
  /** A collection named with the configured prefix. */
  collection<T extends StoredDocument>(name: string): MfaCollection<T>
  /** Indexes are created idempotently when the server becomes ready. */
  ensureIndexes<T extends StoredDocument>(collection: MfaCollection<T>, specs: IndexSpec[]): void
  readonly factors: FactorRegistry
  readonly crypto: MfaCrypto
  /** Writes the audit event to `mfa_events`, logs it and calls the hooks. `type` is a key of `MfaEventMap`. */
  emit<K extends MfaEventType>(type: K, input: EmitInput<MfaEventMap[K]>): Promise<MfaEvent>
  /** Calls `hook` for each event of `type` (`'*'` for all), with its details typed. */
  on<K extends MfaEventType | '*'>(type: K, hook: EventHook<K>): void
  readonly events: { recent(userId: string, limit: number): Promise<MfaEvent[]> }
  readonly users: UserRecords
  /** The registry of signed-in sessions (SPEC §8): list them, end one or all on every instance. */
  readonly sessions: SessionRegistry
  /**
   * Call when the user's password changes (plugins call it when a factor is removed or replaced):
   * a new security stamp, remembered devices and pending logins end, and every other session of the
   * user is signed out on every instance. The request's own session goes on with a new id.
   */
  securityStampChanged(userId: string, input?: SecurityChange): Promise<void>
  /** A factor was removed or replaced: as `securityStampChanged`; backup codes go when no primary factor is left. Emits `factor.removed`. */
  factorRemoved(userId: string, input?: SecurityChange & { method?: string }): Promise<void>
  /** A factor was added: emits `factor.added` (a `factor_added` notification). */
  factorAdded(userId: string, input: { request?: FastifyRequest, method: string }): Promise<void>
  /** Security notifications: channels deliver them (email when @fastify-mfa/sent-codes is set up for it). */
  readonly notifications: Notifications
  /** Account deletion: deletes every MFA record of the user (factors, devices, events …) and ends all their sessions. */
  forgetUser(userId: string, input?: { request?: FastifyRequest }): Promise<void>
  /** For plugins that keep per-user data: what to end at a security change and delete in `forgetUser`. */
  registerUserData(owner: UserDataOwner): void
  /** A preHandler that answers 401/403 unless the session meets `options`. No I/O. */
  require(options?: RequireOptions): preHandlerAsyncHookHandler
  readonly guards: {
    /** Signed in, not enrol-only; a fresh second factor when the user has one. For factor changes. */
    manage: preHandlerAsyncHookHandler
    /** As `manage`, and open to enrol-only sessions: the enrolment routes. */
    enrol: preHandlerAsyncHookHandler
    /** Signed in (not a pending login, not enrol-only). */
    signedIn: preHandlerAsyncHookHandler
    /** Signed in, enrol-only sessions included: what enrolment pages read, and step-up. */
    signedInOrEnrolling: preHandlerAsyncHookHandler
  }
  addSummary(key: string, provider: SummaryProvider): void
  summary(userId: string): Promise<Record<string, unknown>>
  stats(): Promise<MfaStats>
  /** Present when @fastify-mfa/remember-device is registered. */
  devices?: RememberDeviceApi
  /** Present when @fastify-mfa/backup-codes is registered. */
  recoveryCodes?: RecoveryCodesApi
  /** Set by @fastify-mfa/mfa-login: the methods that may prove a factor for the user now (role policies applied). */
  policyMethods?: (userId: string) => Promise<string[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    mfa: MfaApi
  }
  interface FastifyRequest {
    readonly mfa: RequestMfa
  }
  interface Session {
    mfa?: MfaSessionState
  }
  interface FastifyContextConfig {
    /** Route-level guard, same as `preHandler: fastify.mfa.require(config.mfa)`. */
    mfa?: RequireOptions
  }
}
