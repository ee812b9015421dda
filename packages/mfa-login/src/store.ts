import { casIndexes, casRegister, claim, randomToken, sha256, type IndexSpec, type MfaApi, type StoredDocument, type VersionDocument } from '@fastify-mfa/core'

/** A login between the password step and the second factor. Stored under the token's SHA-256. */
export interface PendingLogin {
  _id: string // sha256(mfaToken)
  userId: string
  methods: string[]
  authTime: number // epoch seconds
  createdAt: Date
  expiresAt: Date
}

/** One attempt at a pending login's second factor: `<pending _id>:<n>`. */
interface AttemptDocument extends StoredDocument { expiresAt: Date }

/** `cycle` names the account's attempt slots until the next lock (absent: `'0'`, the cycle before any lock). */
export interface LockState { failures: number, level: number, lockedUntil: number /* epoch ms */, cycle?: string }

/** An account attempt slot `acct:<user>:<cycle>:<k>`, taken by a second-factor check in flight or failed. */
interface AccountSlotDocument extends StoredDocument { userId: string, expiresAt: Date }

/** What a second-factor check holds while it runs: its account slot, or the lock that refused it. */
export type AccountAttempt = { slot: string, hasFailures: boolean } | { lockedMs: number }

// Expiry is checked wherever a document is read; TTL indexes (or core's sweep) only collect garbage.
const expiresTtl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const pendingIndexes: IndexSpec[] = [{ name: 'user', key: { userId: 1 } }, expiresTtl]

export function createLoginStore (mfa: MfaApi, opts: { pendingTtl: number, maxAttempts: number, lockout: { threshold: number, durations: number[] } }) {
  const pending = mfa.collection<PendingLogin>('pending_logins')
  const attempts = mfa.collection<AttemptDocument>('login_attempts')
  const lockVersions = mfa.collection<VersionDocument>('login_locks')
  const accountSlots = mfa.collection<AccountSlotDocument>('login_account_attempts')
  mfa.ensureIndexes(pending, pendingIndexes)
  mfa.ensureIndexes(attempts, [expiresTtl])
  mfa.ensureIndexes(accountSlots, [{ name: 'user', key: { userId: 1 } }, expiresTtl])
  mfa.ensureIndexes(lockVersions, casIndexes)
  const locks = casRegister<LockState>(lockVersions, mfa.now)
  const live = (doc: { expiresAt: Date } | null): boolean => doc !== null && doc.expiresAt.getTime() > mfa.now()

  // The login's hot path reads and writes pending logins and attempts by `_id` only, with expiry
  // checked here (the `_id` index is the one every MongoDB-compatible server has and uses). The
  // lock state is the register's newest version (index `key_version`); login_locks holds only
  // accounts with failures on record.
  return {
    async create (userId: string, methods: string[]): Promise<{ token: string, doc: PendingLogin }> {
      const token = randomToken()
      const now = mfa.now()
      const doc: PendingLogin = {
        _id: sha256(token), userId, methods, authTime: Math.floor(now / 1000),
        createdAt: new Date(now), expiresAt: new Date(now + opts.pendingTtl * 1000)
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
    // The attempts are left to expire with the login: removed early, a guess already in flight
    // would find its slot free again and be evaluated beyond the limit.
    discard: async (id: string) => { await pending.deleteOne({ _id: id }) },
    async discardForUser (userId: string) {
      for (const doc of await pending.find({ userId })) await this.discard(doc._id)
    },
    /**
     * Takes one of the pending login's attempts before its code is checked, so parallel guesses
     * cannot exceed `maxAttempts`: attempt n is the document `<id>:<n>`, and of concurrent takers
     * exactly one inserts it. Returns how many are left after this one, or null when all are taken.
     */
    async takeAttempt (id: string): Promise<number | null> {
      const expiresAt = new Date(mfa.now() + opts.pendingTtl * 1000)
      for (let n = 1; n <= opts.maxAttempts; n++) {
        if (await claim(attempts, { _id: `${id}:${n}`, expiresAt })) return opts.maxAttempts - n
      }
      return null
    },
    /** The account's lock state: milliseconds it stays locked (0 when not), and whether failures are on record. */
    async lockState (userId: string): Promise<{ lockedMs: number, hasFailures: boolean }> {
      const state = (await locks.read(`lock:${userId}`)).value
      return { lockedMs: state ? Math.max(0, state.lockedUntil - mfa.now()) : 0, hasFailures: state !== null }
    },
    /**
     * Takes one of the account's `threshold` attempts before a second factor is checked, so checks in
     * flight on any number of pending logins and instances cannot exceed the lockout threshold: the
     * slots above the failures on record are `acct:<user>:<cycle>:<k>`, and of concurrent takers one
     * inserts each. A check that succeeds gives its slot back; a failed one keeps it. Refused with the
     * lock time when the account is locked, or with 1 s when every free slot is held by a check in flight.
     */
    async takeAccountAttempt (userId: string): Promise<AccountAttempt> {
      const state = (await locks.read(`lock:${userId}`)).value
      const lockedMs = state ? state.lockedUntil - mfa.now() : 0
      if (lockedMs > 0) return { lockedMs }
      const expiresAt = new Date(mfa.now() + opts.pendingTtl * 1000)
      for (let k = (state?.failures ?? 0) + 1; k <= opts.lockout.threshold; k++) {
        const slot = `acct:${userId}:${state?.cycle ?? '0'}:${k}`
        if (await claim(accountSlots, { _id: slot, userId, expiresAt })) return { slot, hasFailures: state !== null }
      }
      return { lockedMs: 1000 }
    },
    /** A check that did not fail gives its account slot back. */
    releaseAccountAttempt: async (slot: string) => { await accountSlots.deleteOne({ _id: slot }) },
    /** Counts a wrong second factor; returns the lock time in ms when this failure locked the account. */
    async recordFailure (userId: string): Promise<number> {
      const { threshold, durations } = opts.lockout
      const next = await locks.update(`lock:${userId}`, (s) => {
        const state = s ?? { failures: 0, level: 0, lockedUntil: 0 }
        if (state.failures + 1 < threshold) return { ...state, failures: state.failures + 1 }
        const duration = durations[Math.min(state.level, durations.length - 1)]! * 1000
        return { failures: 0, level: state.level + 1, lockedUntil: mfa.now() + duration, cycle: randomToken(12) }
      })
      return next && next.failures === 0 ? next.lockedUntil - mfa.now() : 0
    },
    /** A successful second factor ends the run of failures (and the growth of lock times) and frees every slot. */
    async resetFailures (userId: string) {
      await locks.remove(`lock:${userId}`)
      await accountSlots.deleteMany({ userId })
    }
  }
}

export type LoginStore = ReturnType<typeof createLoginStore>
