import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createCrypto } from './rotation.js'
import { createEventLog, eventIndexes, type MfaEvent } from './events.js'
import { createExpirySweeper } from './expiry.js'
import { createFactorRegistry, isPrimary } from './factors.js'
import { createGuards, installRouteGuards } from './guards.js'
import { createAccounts } from './accounts.js'
import { createNotifications } from './notifications.js'
import { createSessionRegistry, sessionIndexes, type SessionRecord } from './sessions.js'
import { resolveOptions, type MfaCoreOptions } from './options.js'
import { readRequestMfa } from './state.js'
import type { IndexSpec, MfaCollection, StoredDocument } from './store/types.js'
import { createUserRecords, userIndexes, type MfaUserRecord } from './users.js'
import { registerCoreRoutes } from './routes.js'
import type { MfaApi, SummaryProvider } from './types.js'

async function fastifyMfaCore (fastify: FastifyInstance, options: MfaCoreOptions): Promise<void> {
  const opts = resolveOptions(options)
  if (opts.store.kind === 'memory') {
    fastify.log.warn('fastify-mfa: using the in-memory store; nothing is persisted and nothing is shared between instances')
  }
  const pendingIndexes: Array<[MfaCollection<StoredDocument>, IndexSpec[]]> = []
  const collection = <T extends StoredDocument>(name: string): MfaCollection<T> =>
    opts.store.collection<T>(opts.collectionPrefix + name)
  const now = opts.now
  const factors = createFactorRegistry()
  const sweeper = createExpirySweeper(now, fastify.log)
  // Expired documents come from the same actions that write audit events: sweep after those.
  const eventRecords = collection<MfaEvent>('events')
  const events = createEventLog(eventRecords, fastify.log, now, sweeper.maybeSweep)
  const userRecords = collection<MfaUserRecord>('users')
  const users = createUserRecords(userRecords, now)
  const guards = createGuards(factors, opts.freshAge, () => mfa.policyMethods)
  const summaries = new Map<string, SummaryProvider>()
  const crypto = createCrypto(opts.keys)
  const sessionRecords = collection<SessionRecord>('sessions')
  crypto.registerField({ collection: sessionRecords, field: 'sessionId', context: (doc) => `session:${doc._id}` })
  const sessions = createSessionRegistry(sessionRecords, crypto, { now, lifetime: opts.sessionLifetime, sessionStore: opts.sessionStore })
  const notifications = createNotifications(events, fastify.log, opts.disabledNotifications)
  const accounts = createAccounts({ users, userRecords, sessions, factors, events, eventRecords, recoveryCodes: () => mfa.recoveryCodes })

  const mfa: MfaApi = {
    options: {
      freshAge: opts.freshAge,
      prefix: opts.prefix,
      collectionPrefix: opts.collectionPrefix,
      storeKind: opts.store.kind,
      origins: opts.origins,
      sessionLifetime: opts.sessionLifetime
    },
    store: opts.store,
    now,
    nowSeconds: () => Math.floor(now() / 1000),
    collection,
    ensureIndexes (c, specs) { pendingIndexes.push([c as MfaCollection<StoredDocument>, specs]) },
    factors,
    crypto,
    emit: events.emit,
    on: events.on,
    events: { recent: events.recent },
    users,
    sessions,
    securityStampChanged: accounts.securityStampChanged,
    factorRemoved: accounts.factorRemoved,
    factorAdded: accounts.factorAdded,
    notifications,
    forgetUser: accounts.forgetUser,
    registerUserData: accounts.register,
    require: guards.require,
    guards: { manage: guards.manage, enrol: guards.enrol, signedIn: guards.signedIn, signedInOrEnrolling: guards.signedInOrEnrolling },
    addSummary (key, provider) {
      if (summaries.has(key)) throw new TypeError(`@fastify-mfa/core: summary "${key}" is already registered`)
      summaries.set(key, provider)
    },
    async summary (userId) {
      const entries = await Promise.all([...summaries].map(async ([key, fn]) => [key, await fn(userId)] as const))
      return Object.fromEntries(entries)
    },
    async stats () {
      const byMethod: Record<string, number> = {}
      const anyFactor = new Set<string>()
      for (const factor of factors.list()) {
        const ids = await factor.enrolledUserIds()
        byMethod[factor.id] = ids.length
        if (isPrimary(factor)) for (const id of ids) anyFactor.add(id)
      }
      return { usersWithMfa: anyFactor.size, byMethod }
    }
  } as MfaApi

  fastify.decorate('mfa', mfa)
  fastify.decorateRequest('mfa', {
    getter () { return readRequestMfa(this.session?.get?.('mfa'), mfa.nowSeconds(), opts.sessionLifetime) }
  })
  mfa.ensureIndexes(eventRecords, eventIndexes(opts.eventRetentionDays))
  mfa.ensureIndexes(userRecords, userIndexes)
  mfa.ensureIndexes(sessionRecords, sessionIndexes)
  installRouteGuards(fastify, guards.require)
  fastify.addHook('onReady', async function createMfaIndexes () {
    for (const [c, specs] of pendingIndexes) {
      if (!await c.createIndexes(specs, fastify.log)) sweeper.add(c, specs)
    }
  })
  fastify.addHook('onClose', async function waitForSweep () { await sweeper.settled() })
  await registerCoreRoutes(fastify, opts.prefix)
}

export const mfaCore = fp(fastifyMfaCore, {
  fastify: '5.x',
  name: '@fastify-mfa/core',
  dependencies: ['@fastify/session']
})
export default mfaCore

export * from './types.js'
// The host's API. What plugin and store authors build with is in ./pluginKit.ts (`@fastify-mfa/core/plugin-kit`).
export { errors, type ErrorDetails, type MfaErrorBody } from './errors.js'
export type { RequireOptions } from './guards.js'
export { createMemoryStore } from './store/memoryStore.js'
export { createMongoStore } from './store/mongoStore.js'
export type { MfaStore } from './store/types.js'
export type { MfaCoreOptions } from './options.js'
export type { KeyringEntry } from './crypto.js'
export type { FactorRegistry } from './factors.js'
export type { MfaEvent, EventHook, TypedEvent } from './events.js'
export type { MfaEventMap, MfaEventType } from './eventMap.js'
export type { MfaUserRecord, UserRecords } from './users.js'
export type { Aal, RequestMfa, FreshnessOptions } from './state.js'
export { isForeignOrigin } from './routeScope.js'
export type { SessionRegistry, SessionRecord, SessionView, DestroyableSessionStore } from './sessions.js'
export type { UserDataOwner, SecurityChange } from './accounts.js'
export { NOTIFICATION_TYPES, type NotificationType, type SecurityNotification, type NotificationChannel, type Notifications } from './notifications.js'
