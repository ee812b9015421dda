import type { FastifyRequest } from 'fastify'
import type { EncryptedValue } from './crypto.js'
import { deviceLabel } from './deviceLabel.js'
import { errors } from './errors.js'
import type { MfaCrypto } from './rotation.js'
import type { Aal, MfaSessionState } from './state.js'
import type { IndexSpec, MfaCollection, StoredDocument } from './store/types.js'
import { randomToken, sha256 } from './tokens.js'

/**
 * A signed-in session (`mfa_sessions`). The session id itself is never stored in clear: `_id` is a
 * public id, `sessionIdHash` tells which record is the current one, and `sessionId` is sealed with
 * the keyring so the session store can be told to destroy it when the user or a security change
 * ends the session.
 */
export interface SessionRecord extends StoredDocument {
  userId: string
  sessionIdHash: string
  sessionId: EncryptedValue
  label: string
  ip: string
  createdAt: Date
  lastSeenAt: Date
  /** The end of the session's lifetime (core's `sessionLifetime` after its sign-in). */
  expiresAt: Date
  /** The level the session has proven (kept up to date by `establish`; records from before it have none). */
  aal?: Aal
  /** The session may only enrol a factor. */
  enrollOnly?: boolean
}

/** A live session at a given level (`assured`): which, whose, and when last seen. */
export interface AssuredSession {
  id: string
  userId: string
  aal: Aal
  label: string
  lastSeenAt: Date
}

/** What `GET /mfa/sessions` shows of a session. */
export interface SessionView {
  id: string
  label: string
  ip: string
  createdAt: Date
  lastSeenAt: Date
  /** The session this request belongs to. */
  current: boolean
}

/** The part of a @fastify/session store that ending a session needs. */
export interface DestroyableSessionStore {
  destroy(sessionId: string, callback: (err?: unknown) => void): void | Promise<void>
}

export const sessionIndexes: IndexSpec[] = [
  { name: 'user_created', key: { userId: 1, createdAt: -1 } },
  { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
]

/** How often `touch` records that a session was seen: last-seen times are coarse, never a write per request. */
const SEEN_EVERY = 300 // seconds

const sealContext = (publicId: string): string => `session:${publicId}`

export interface SessionRegistry {
  /**
   * Gives the request a new session id (OWASP session fixation) holding `state`, and records it:
   * a signed-in state continues the record of the session it replaces (same user) or opens one; a
   * state without a user drops the old record. Throws 401 when the session was ended meanwhile.
   */
  establish(request: FastifyRequest, state: MfaSessionState): Promise<void>
  /** Records that the session was seen (at most every few minutes); ends it (false) when its record is gone. */
  touch(request: FastifyRequest): Promise<boolean>
  /** Signs the request's session out: its record and the session itself. */
  signOut(request: FastifyRequest): Promise<void>
  list(userId: string, request?: FastifyRequest): Promise<SessionView[]>
  /** Ends one session of the user on every instance; false when the user has no such session. */
  end(userId: string, publicId: string, request?: FastifyRequest): Promise<boolean>
  /** Ends every session of the user (but the request's own with `keepCurrent`); returns how many ended. */
  endAll(userId: string, input?: { request?: FastifyRequest, keepCurrent?: boolean }): Promise<number>
  /**
   * Live sessions (not expired, not enrol-only) that proved `minAal` or more: of `userId`, or those in
   * `ids` (or every user's), seen since `seenSince` when given. Sessions that could approve a sign-in.
   */
  assured(query: { minAal: 2 | 3, userId?: string, ids?: string[], seenSince?: Date }): Promise<AssuredSession[]>
}

export function createSessionRegistry (records: MfaCollection<SessionRecord>, crypto: MfaCrypto,
  opts: { now: () => number, lifetime: number, sessionStore: DestroyableSessionStore | null }): SessionRegistry {
  let knownStore = opts.sessionStore
  const nowSec = (): number => Math.floor(opts.now() / 1000)
  const storeOf = (request?: FastifyRequest): DestroyableSessionStore => {
    const store = (request as { sessionStore?: DestroyableSessionStore } | undefined)?.sessionStore ?? knownStore
    if (!store || typeof store.destroy !== 'function') {
      throw new TypeError('@fastify-mfa/core: ending a session needs the @fastify/session store: pass a request, or the core option "sessionStore"')
    }
    knownStore ??= store
    return store
  }
  const destroy = async (store: DestroyableSessionStore, sessionId: string): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => { if (err) reject(err); else resolve() }
      const result = store.destroy(sessionId, done)
      if (result && typeof result.then === 'function') result.then(() => resolve(), reject)
    })
  }
  const isCurrent = (record: SessionRecord, request: FastifyRequest): boolean =>
    request.session?.get('mfa')?.sid === record._id && request.session.get('mfa')?.userId === record.userId
  // Destroy first, then forget the record: a failed destroy leaves the record to try again, never a
  // live session without one. The request's own session is destroyed through the request, or
  // @fastify/session would save it again when the request ends.
  const endRecord = async (record: SessionRecord, request?: FastifyRequest): Promise<void> => {
    if (request && isCurrent(record, request)) await request.session.destroy()
    else await destroy(storeOf(request), crypto.decrypt(record.sessionId, sealContext(record._id)))
    await records.deleteOne({ _id: record._id })
  }
  const cameWithRequest = (request: FastifyRequest): boolean => {
    const id = request.session.encryptedSessionId
    return Object.values(request.cookies ?? {}).some((value) => typeof value === 'string' && value.endsWith(id))
  }
  const sealed = (request: FastifyRequest, publicId: string) => ({
    sessionIdHash: sha256(request.session.sessionId),
    sessionId: crypto.encrypt(request.session.sessionId, sealContext(publicId))
  })

  return {
    async establish (request, state) {
      const previous = request.session.get('mfa')
      storeOf(request)
      // A session that came with the request (its id is in a cookie someone may have planted) gets a
      // new id. One this request created has an id nobody has seen, and nothing stored to destroy.
      if (cameWithRequest(request)) await request.session.regenerate()
      const next: MfaSessionState = { ...state }
      delete next.sid
      if (typeof next.userId === 'string') {
        const now = new Date(opts.now())
        if (previous?.sid && previous.userId === next.userId) {
          const updated = await records.updateOne({ _id: previous.sid, userId: next.userId },
            { $set: { ...sealed(request, previous.sid), lastSeenAt: now, aal: next.aal, enrollOnly: next.enrollOnly === true } })
          if (updated.matchedCount === 0) {
            // Ended (signed out from elsewhere, or a security change) while this request ran.
            await request.session.destroy()
            throw new errors.FST_MFA_UNAUTHENTICATED()
          }
          next.sid = previous.sid
        } else {
          if (previous?.sid) await records.deleteOne({ _id: previous.sid })
          const publicId = randomToken(16)
          await records.insertOne({
            _id: publicId,
            userId: next.userId,
            ...sealed(request, publicId),
            label: deviceLabel(request.headers['user-agent']),
            ip: request.ip,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: new Date(((next.authTime ?? nowSec()) + opts.lifetime) * 1000),
            aal: next.aal,
            enrollOnly: next.enrollOnly === true
          })
          next.sid = publicId
        }
        next.seenAt = nowSec()
      } else if (previous?.sid) {
        await records.deleteOne({ _id: previous.sid })
      }
      request.session.set('mfa', next)
    },

    async touch (request) {
      const state = request.session?.get('mfa')
      if (!state?.sid || typeof state.userId !== 'string' || nowSec() - (state.seenAt ?? 0) < SEEN_EVERY) return true
      const updated = await records.updateOne({ _id: state.sid, userId: state.userId }, { $set: { lastSeenAt: new Date(opts.now()), ip: request.ip } })
      if (updated.matchedCount === 0) {
        // The record was ended but the session store kept (or brought back) the session: end it now.
        await request.session.destroy()
        return false
      }
      request.session.set('mfa', { ...state, seenAt: nowSec() })
      return true
    },

    async signOut (request) {
      const sid = request.session.get('mfa')?.sid
      await request.session.destroy()
      if (sid) await records.deleteOne({ _id: sid })
    },

    async list (userId, request) {
      const current = request?.session?.get('mfa')?.sid
      const docs = await records.find({ userId, expiresAt: { $gt: new Date(opts.now()) } }, { sort: { createdAt: -1 } })
      return docs.map((d) => ({ id: d._id, label: d.label, ip: d.ip, createdAt: d.createdAt, lastSeenAt: d.lastSeenAt, current: d._id === current }))
    },

    async end (userId, publicId, request) {
      const record = await records.findOne({ _id: publicId, userId })
      if (!record) return false
      await endRecord(record, request)
      return true
    },

    async endAll (userId, { request, keepCurrent = false } = {}) {
      // Expired records are ended too: their sessions may still sit in the store.
      const ending = (await records.find({ userId })).filter((r) => !(keepCurrent && request && isCurrent(r, request)))
      for (const record of ending) await endRecord(record, request)
      return ending.length
    },

    async assured ({ minAal, userId, ids, seenSince }) {
      const docs = await records.find({
        ...(userId !== undefined ? { userId } : {}),
        ...(ids !== undefined ? { _id: { $in: ids } } : {}),
        aal: { $gte: minAal },
        enrollOnly: { $ne: true },
        expiresAt: { $gt: new Date(opts.now()) },
        ...(seenSince ? { lastSeenAt: { $gte: seenSince } } : {})
      })
      return docs.map((d) => ({ id: d._id, userId: d.userId, aal: d.aal!, label: d.label, lastSeenAt: d.lastSeenAt }))
    }
  }
}
