import { claim, type IndexSpec, type MfaCollection } from '@fastify-mfa/core/plugin-kit'

/** A session (`_id` = its id), or the tombstone of a destroyed one (`_id` = `<id>#destroyed`). */
export interface SessionDocument { _id: string, data?: string, expiresAt: Date }

export const sessionIndexes: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
// The session shape belongs to @fastify/session; this store only serialises it.

type Callback = (err?: any, result?: any) => void

const tombstone = (sessionId: string): string => `${sessionId}#destroyed`
// A tombstone outlives the longest session a save can write, plus this, for a request still running at the logout.
const LATE_SAVE_MS = 3_600_000

export interface SessionStoreOptions {
  /** The longest a session lives after its last save, in seconds: the cookie's maxAge (default one day). */
  lifetime?: number
  now?: () => number
}

/**
 * A @fastify/session store on the app's database, so several instances share sessions. A session
 * lives until its cookie expires, and never longer than `lifetime` after its last save.
 *
 * A destroyed session (logout, or the old id at a privilege change) leaves a tombstone that no
 * save overwrites: @fastify/session saves a rolling session at the end of every request, so a
 * request that began before the logout writes the signed-in session again, and the tombstone
 * keeps it unreadable. The tombstone lives `lifetime` and an hour, so it outlives what such a save writes.
 */
export class CollectionSessionStore {
  private readonly lifetimeMs: number
  private readonly now: () => number

  constructor (private readonly sessions: MfaCollection<SessionDocument>, options: SessionStoreOptions = {}) {
    this.lifetimeMs = (options.lifetime ?? 86_400) * 1000
    this.now = options.now ?? Date.now
  }

  get (sessionId: string, callback: Callback): void {
    // Two lookups by `_id` (in parallel), not one `$in`: every MongoDB-compatible server finds an
    // `_id` without reading the collection, while some (FerretDB 1.x) filter an `$in` document by document.
    Promise.all([this.sessions.findOne({ _id: sessionId }), this.sessions.findOne({ _id: tombstone(sessionId) })])
      .then(([session, destroyed]) => {
        const now = this.now()
        // Expired documents count as gone (a TTL index removes them later, where the server has one).
        const ended = destroyed !== null && destroyed.expiresAt.getTime() > now
        const live = !ended && session?.data !== undefined && session.expiresAt.getTime() > now
        callback(null, live ? JSON.parse(session.data!) : null)
      }, callback)
  }

  set (sessionId: string, session: { cookie?: { expires?: Date | string | null } }, callback: Callback): void {
    const longest = this.now() + this.lifetimeMs
    const cookieExpires = session.cookie?.expires ? new Date(session.cookie.expires).getTime() : longest
    const expiresAt = new Date(Math.min(cookieExpires, longest))
    this.sessions.updateOne({ _id: sessionId }, { $set: { data: JSON.stringify(session), expiresAt } }, { upsert: true })
      .then(() => callback(), callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    const mark = { _id: tombstone(sessionId), expiresAt: new Date(this.now() + this.lifetimeMs + LATE_SAVE_MS) }
    claim(this.sessions, mark)
      .then(async (first) => {
        // Destroyed before (a late save brought it back): the tombstone lives on from now.
        if (!first) await this.sessions.updateOne({ _id: mark._id }, { $set: { expiresAt: mark.expiresAt } })
        await this.sessions.deleteOne({ _id: sessionId })
      })
      .then(() => callback(), callback)
  }
}
