/// <reference types="@fastify/session" preserve="true" />
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { EmitInput, EventHook, MfaEvent } from './events.js'
import type { FactorRegistry } from './factors.js'
import type { RequireOptions } from './guards.js'
import type { MfaCrypto } from './rotation.js'
import type { MfaSessionState, RequestMfa } from './state.js'
import type { IndexSpec, MfaCollection, MfaStore, StoredDocument } from './store/types.js'
import type { UserRecords } from './users.js'

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
  readonly options: { freshAge: number, prefix: string, collectionPrefix: string, storeKind: 'mongodb' | 'memory' }
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
  /** Writes the audit event to `mfa_events`, logs it and calls the hooks. */
  emit(type: string, input: EmitInput): Promise<MfaEvent>
  /** Calls `hook` for each event of `type` (`'*'` for all). */
  on(type: string, hook: EventHook): void
  readonly events: { recent(userId: string, limit: number): Promise<MfaEvent[]> }
  readonly users: UserRecords
  /** Call when the user's password changes: all remembered devices stop working. */
  securityStampChanged(userId: string, input?: { request?: FastifyRequest, reason?: string }): Promise<void>
  /** A preHandler that answers 401/403 unless the session meets `options`. No I/O. */
  require(options?: RequireOptions): preHandlerAsyncHookHandler
  readonly guards: {
    /** Signed in; fresh second factor when the user has one. For factor changes. */
    manage: preHandlerAsyncHookHandler
    /** Signed in (not a pending login). */
    signedIn: preHandlerAsyncHookHandler
  }
  addSummary(key: string, provider: SummaryProvider): void
  summary(userId: string): Promise<Record<string, unknown>>
  stats(): Promise<MfaStats>
  /** Present when @fastify-mfa/remember-device is registered. */
  devices?: RememberDeviceApi
  /** Present when @fastify-mfa/backup-codes is registered. */
  recoveryCodes?: RecoveryCodesApi
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
