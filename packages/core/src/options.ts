import type { Db } from 'mongodb'
import { resolveKeyring, type KeyringEntry } from './crypto.js'
import { createMemoryStore } from './store/memoryStore.js'
import { createMongoStore } from './store/mongoStore.js'
import type { MfaStore } from './store/types.js'
import { optionChecks } from './optionChecks.js'
import type { DestroyableSessionStore } from './sessions.js'
import { NOTIFICATION_TYPES } from './notifications.js'

export interface MfaCoreOptions {
  /** A MongoDB `Db` from the official driver, `'memory'` (development: nothing persists), or a store instance. */
  store: Db | 'memory' | MfaStore
  /**
   * AES-256-GCM keyring for secrets at rest. The first key encrypts; all keys decrypt, so a new key
   * goes first and the old one stays until `fastify.mfa.crypto.rotate()` has run.
   */
  encryptionKeys: KeyringEntry[]
  /** Prefix of every collection fastify-mfa creates. @default 'mfa_' */
  collectionPrefix?: string
  /** How long a second factor counts as fresh for sensitive actions. @default 300 // seconds */
  freshAge?: number
  /** Prefix of the factor management routes (`GET /mfa`). @default '/mfa' */
  prefix?: string
  /** How long audit events are kept (a TTL index on `mfa_events.at`). @default 180 // days */
  eventRetentionDays?: number
  /** Clock in epoch milliseconds; tests pass a fake one. @default Date.now */
  now?: () => number
  /**
   * Origins whose pages may POST, PATCH and DELETE to the plugins' routes (`https://example.org`);
   * other origins get 403 `FST_MFA_ORIGIN_REFUSED`. @default the origin the request was sent to
   */
  origins?: string[]
  /**
   * How long a sign-in lasts at most, whatever the session cookie says: past it the session reads as
   * signed out. The registry keeps each session's record that long, so a security change can end it.
   * @default 604800 // seconds = 7 days (NIST SP 800-63B-4 asks AAL2 sessions to re-authenticate daily: set 86400 for that)
   */
  sessionLifetime?: number
  /**
   * The store given to @fastify/session, for ending sessions outside a request (`forgetUser` from a
   * job). Requests carry it already. @default the store of the first request that signs in
   */
  sessionStore?: DestroyableSessionStore
  /** Security notification types not to send (`'new_sign_in'`, `'backup_codes_low'` …; see NOTIFICATION_TYPES). @default [] */
  disabledNotifications?: string[]
}

export interface ResolvedCoreOptions {
  store: MfaStore
  keys: Map<string, Buffer>
  collectionPrefix: string
  freshAge: number
  prefix: string
  eventRetentionDays: number
  now: () => number
  origins: string[] | null
  sessionLifetime: number
  sessionStore: DestroyableSessionStore | null
  disabledNotifications: string[]
}

const { fail, wholeNumber } = optionChecks('@fastify-mfa/core')
// An origin is scheme://host[:port] with nothing after it (browsers send it so in the Origin header).
const ORIGIN = /^https?:\/\/[^/?#\s]+$/

function isMongoDb (value: unknown): value is Db {
  return typeof value === 'object' && value !== null &&
    typeof (value as Db).collection === 'function' && typeof (value as Db).databaseName === 'string'
}

function isStore (value: unknown): value is MfaStore {
  return typeof value === 'object' && value !== null && typeof (value as MfaStore).collection === 'function' &&
    typeof (value as MfaStore).kind === 'string' && (value as MfaStore).kind.length > 0
}

export function resolveOptions (options: Partial<MfaCoreOptions>): ResolvedCoreOptions {
  const {
    store, encryptionKeys, collectionPrefix = 'mfa_', freshAge = 300, prefix = '/mfa', eventRetentionDays = 180, now = Date.now,
    origins, sessionLifetime = 7 * 86_400, sessionStore, disabledNotifications = []
  } = options
  let resolvedStore: MfaStore
  if (store === 'memory') resolvedStore = createMemoryStore()
  else if (isStore(store)) resolvedStore = store
  else if (isMongoDb(store)) resolvedStore = createMongoStore(store)
  else resolvedStore = fail('option "store" must be a MongoDB Db (from the official "mongodb" driver), \'memory\' or a store ({ kind, collection }; see @fastify-mfa/core/store-contract)')
  if (!Array.isArray(encryptionKeys) || encryptionKeys.length === 0) {
    fail('option "encryptionKeys" must be a non-empty array of { id, key } (32-byte keys; the first one encrypts)')
  }
  if (typeof collectionPrefix !== 'string' || !/^[A-Za-z0-9_]{0,32}$/.test(collectionPrefix)) {
    fail('option "collectionPrefix" must be up to 32 letters, digits or underscores')
  }
  if (!wholeNumber(freshAge, 1)) fail('option "freshAge" must be a positive whole number of seconds')
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) fail('option "prefix" must be a path starting with "/"')
  if (!wholeNumber(eventRetentionDays, 1)) fail('option "eventRetentionDays" must be a positive whole number of days')
  if (typeof now !== 'function') fail('option "now" must be a function returning epoch milliseconds')
  if (origins !== undefined && !(Array.isArray(origins) && origins.length > 0 && origins.every((o) => typeof o === 'string' && ORIGIN.test(o)))) {
    fail('option "origins" must be a non-empty array of origins such as "https://example.org" (scheme, host and port only)')
  }
  if (!wholeNumber(sessionLifetime, 60)) fail('option "sessionLifetime" must be a whole number of seconds, at least 60')
  if (sessionStore !== undefined && typeof sessionStore?.destroy !== 'function') fail('option "sessionStore" must be a @fastify/session store (with destroy(id, callback))')
  if (!Array.isArray(disabledNotifications) || !disabledNotifications.every((t) => (NOTIFICATION_TYPES as readonly string[]).includes(t))) {
    fail(`option "disabledNotifications" must list notification types: ${NOTIFICATION_TYPES.join(', ')}`)
  }
  return {
    store: resolvedStore,
    keys: resolveKeyring(encryptionKeys!),
    collectionPrefix,
    freshAge,
    prefix,
    eventRetentionDays,
    now,
    origins: origins ? [...origins] : null,
    sessionLifetime,
    sessionStore: sessionStore ?? null,
    disabledNotifications: [...disabledNotifications]
  }
}
