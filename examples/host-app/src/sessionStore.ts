import { claim, type IndexSpec, type MfaCollection } from '@fastify-mfa/core/plugin-kit'

/** A session (`_id` = its id), or the tombstone of a destroyed one (`_id` = `<id>#destroyed`). */
export interface SessionDocument { _id: string, data?: string, expiresAt: Date }

export const sessionIndexes: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
// The session shape belongs to @fastify/session; this store only serialises it.

type Callback = (err?: any, result?: any) => void

const tombstone = (sessionId: string): string => `${sessionId}#destroyed`

/**
 * A @fastify/session store on the app's database, so several instances share sessions. Expiry
 * is checked when reading; sessions without a cookie expiry live for `fallbackTtl` seconds.
 *
 * A destroyed session (logout, or the old id at a privilege change) leaves a tombstone that no
 * save overwrites: @fastify/session saves a rolling session at the end of every request, so a
 * request that began before the logout writes the signed-in session again, and the tombstone
 * keeps it unreadable.
 */
export class CollectionSessionStore {
  constructor (private readonly sessions: MfaCollection<SessionDocument>, private readonly fallbackTtl = 86_400) {}

  get (sessionId: string, callback: Callback): void {
    // Two lookups by `_id` (in parallel), not one `$in`: every MongoDB-compatible server finds an
    // `_id` without reading the collection, while some (FerretDB 1.x) filter an `$in` document by document.
    Promise.all([this.sessions.findOne({ _id: sessionId }), this.sessions.findOne({ _id: tombstone(sessionId) })])
      .then(([session, destroyed]) => {
        const live = destroyed === null && session?.data !== undefined && session.expiresAt.getTime() > Date.now()
        callback(null, live ? JSON.parse(session.data!) : null)
      }, callback)
  }

  set (sessionId: string, session: { cookie?: { expires?: Date | string | null } }, callback: Callback): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.fallbackTtl * 1000)
    this.sessions.updateOne({ _id: sessionId }, { $set: { data: JSON.stringify(session), expiresAt: expires } }, { upsert: true })
      .then(() => callback(), callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    const until = new Date(Date.now() + this.fallbackTtl * 1000)
    claim(this.sessions, { _id: tombstone(sessionId), expiresAt: until })
      .then(async () => { await this.sessions.deleteOne({ _id: sessionId }) })
      .then(() => callback(), callback)
  }
}
