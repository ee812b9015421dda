import type { MfaApi } from '@fastify-mfa/core'
import { randomToken, sha256, type IndexSpec } from '@fastify-mfa/core/plugin-kit'
import type { LockSnapshot } from './lockoutStore.js'

/** A login between the password step and the second factor. Stored under the token's SHA-256. */
export interface PendingLogin {
  _id: string // sha256(mfaToken)
  userId: string
  methods: string[]
  /** Success gives only an enrol-only session (the user's roles need a factor they do not have). */
  enrollOnly?: boolean
  /** RFC 8176 values the check must carry (the roles' `amr`). */
  requiredAmr?: string[]
  authTime: number // epoch seconds
  /** The account's lockout as the password step read it: the second step checks in its epoch. */
  lock?: LockSnapshot
  createdAt: Date
  expiresAt: Date
}

// Expiry is checked wherever a document is read; TTL indexes (or core's sweep) only collect garbage.
const expiresTtl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const pendingIndexes: IndexSpec[] = [{ name: 'user', key: { userId: 1 } }, expiresTtl]

export function createLoginStore (mfa: MfaApi, opts: { pendingTtl: number }) {
  const pending = mfa.collection<PendingLogin>('pending_logins')
  mfa.ensureIndexes(pending, pendingIndexes)
  const live = (doc: { expiresAt: Date } | null): boolean => doc !== null && doc.expiresAt.getTime() > mfa.now()

  // The login's hot path reads and deletes pending logins by `_id` only, with expiry checked here
  // (the `_id` index is the one every MongoDB-compatible server has and uses).
  return {
    async create (userId: string, methods: string[], enrollOnly: boolean, requiredAmr: string[] | null, lock: LockSnapshot): Promise<{ token: string, doc: PendingLogin }> {
      const token = randomToken()
      const now = mfa.now()
      const doc: PendingLogin = {
        _id: sha256(token),
        userId,
        methods,
        ...(enrollOnly ? { enrollOnly } : {}),
        ...(requiredAmr ? { requiredAmr } : {}),
        authTime: Math.floor(now / 1000),
        lock,
        createdAt: new Date(now),
        expiresAt: new Date(now + opts.pendingTtl * 1000)
      }
      await pending.insertOne(doc)
      return { token, doc }
    },
    async find (id: string): Promise<PendingLogin | null> {
      const doc = await pending.findOne({ _id: id })
      return live(doc) ? doc : null
    },
    /** Single use: of concurrent completions exactly one deletes the pending login (and only while it lives). */
    consume: async (login: PendingLogin) => await pending.deleteOne({ _id: login._id }) === 1 && live(login),
    // Its attempts are left to expire with the login: removed early, a guess already in flight
    // would find its slot free again and be evaluated beyond the limit.
    discard: async (id: string) => { await pending.deleteOne({ _id: id }) },
    /** The account's lockout changed (a lock, the block of codes): the user's pending logins check under the new state. */
    async relock (userId: string, lock: LockSnapshot): Promise<void> {
      for (const doc of await pending.find({ userId })) await pending.updateOne({ _id: doc._id }, { $set: { lock } })
    },
    /** Ends the user's pending logins (a security change: a second step begun before it cannot finish; account deletion). */
    discardForUser: async (userId: string) => { await pending.deleteMany({ userId }) }
  }
}

export type LoginStore = ReturnType<typeof createLoginStore>
