import { isDuplicateKeyError, type MfaCollection } from '@fastify-mfa/core'

interface SessionDocument { _id: string, data?: string, destroyed?: true, expiresAt: Date }
// The session shape belongs to @fastify/session; this store only serialises it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Callback = (err?: any, result?: any) => void

/**
 * A @fastify/session store on the app's database, so several instances share sessions. Expiry
 * is checked in the query; sessions without a cookie expiry live for `fallbackTtl` seconds.
 *
 * A destroyed session (logout, or the old id at a privilege change) leaves a tombstone until its
 * expiry: @fastify/session saves a rolling session at the end of every request, so a request that
 * began before the logout would otherwise write the signed-in session back. The save matches only
 * a live document; on a tombstone its upsert meets the existing `_id` and is dropped.
 */
export class CollectionSessionStore {
  constructor (private readonly sessions: MfaCollection<SessionDocument>, private readonly fallbackTtl = 86_400) {}

  get (sessionId: string, callback: Callback): void {
    this.sessions.findOne({ _id: sessionId, expiresAt: { $gt: new Date() } })
      .then((doc) => callback(null, doc?.data !== undefined ? JSON.parse(doc.data) : null), callback)
  }

  set (sessionId: string, session: { cookie?: { expires?: Date | string | null } }, callback: Callback): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.fallbackTtl * 1000)
    this.sessions.updateOne({ _id: sessionId, destroyed: { $exists: false } }, { $set: { data: JSON.stringify(session), expiresAt: expires } }, { upsert: true })
      .then(() => callback(), (err) => { isDuplicateKeyError(err) ? callback() : callback(err) })
  }

  destroy (sessionId: string, callback: Callback): void {
    const until = new Date(Date.now() + this.fallbackTtl * 1000)
    this.sessions.updateOne({ _id: sessionId }, { $set: { destroyed: true, expiresAt: until }, $unset: { data: '' } }, { upsert: true })
      .then(() => callback(), callback)
  }
}
