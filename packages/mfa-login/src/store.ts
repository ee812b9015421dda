import { casIndexes, casRegister, randomToken, sha256, type IndexSpec, type MfaApi, type VersionDocument } from '@fastify-mfa/core'

/** A login between the password step and the second factor. Stored under the token's SHA-256. */
export interface PendingLogin {
  _id: string // sha256(mfaToken)
  userId: string
  methods: string[]
  firstFactor: string[] // amr of the first step: ['pwd'], or the passkey's without UV
  authTime: number // epoch seconds
  createdAt: Date
  expiresAt: Date
}

export interface LockState { failures: number, level: number, lockedUntil: number /* epoch ms */ }

const pendingIndexes: IndexSpec[] = [
  { name: 'user', key: { userId: 1 } },
  { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
]

export function createLoginStore (mfa: MfaApi, opts: { pendingTtl: number, maxAttempts: number, lockout: { threshold: number, durations: number[] } }) {
  const pending = mfa.collection<PendingLogin>('pending_logins')
  const counters = mfa.collection<VersionDocument>('login_counters')
  mfa.ensureIndexes(pending, pendingIndexes)
  mfa.ensureIndexes(counters, [...casIndexes, { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }])
  const attempts = casRegister<number>(counters, mfa.now)
  const locks = casRegister<LockState>(counters, mfa.now)
  const live = () => ({ $gt: new Date(mfa.now()) })
  let lastSweep = 0

  return {
    async create (userId: string, methods: string[], firstFactor: string[]): Promise<{ token: string, doc: PendingLogin }> {
      const token = randomToken()
      const now = mfa.now()
      const doc: PendingLogin = {
        _id: sha256(token), userId, methods, firstFactor, authTime: Math.floor(now / 1000),
        createdAt: new Date(now), expiresAt: new Date(now + opts.pendingTtl * 1000)
      }
      await pending.insertOne(doc)
      // Garbage collection where the server has no TTL indexes (and in memory), at most once a minute.
      if (now - lastSweep > 60_000) {
        lastSweep = now
        await counters.deleteMany({ expiresAt: { $lte: new Date(now) } })
      }
      return { token, doc }
    },
    find: async (id: string) => await pending.findOne({ _id: id, expiresAt: live() }),
    /** Single use: of concurrent completions exactly one deletes the pending login. */
    consume: async (id: string) => await pending.deleteOne({ _id: id, expiresAt: live() }) === 1,
    // The attempt counter is left to expire with the login: removed early, a guess already in
    // flight would find a fresh counter and be evaluated beyond the limit.
    discard: async (id: string) => { await pending.deleteOne({ _id: id }) },
    async discardForUser (userId: string) {
      for (const doc of await pending.find({ userId })) await this.discard(doc._id)
    },
    /**
     * Takes one of the pending login's attempts before its code is checked, so parallel guesses
     * cannot exceed `maxAttempts`. Returns how many are left after this one, or null when spent.
     */
    async takeAttempt (id: string): Promise<number | null> {
      const used = await attempts.update(`attempts:${id}`, (n) => (n ?? 0) < opts.maxAttempts ? (n ?? 0) + 1 : null,
        new Date(mfa.now() + opts.pendingTtl * 1000))
      return used === null ? null : opts.maxAttempts - used
    },
    /** The account's lock state: milliseconds it stays locked (0 when not), and whether failures are on record. */
    async lockState (userId: string): Promise<{ lockedMs: number, hasFailures: boolean }> {
      const state = (await locks.read(`lock:${userId}`)).value
      return { lockedMs: state ? Math.max(0, state.lockedUntil - mfa.now()) : 0, hasFailures: state !== null }
    },
    /** Counts a wrong second factor; returns the lock time in ms when this failure locked the account. */
    async recordFailure (userId: string): Promise<number> {
      const { threshold, durations } = opts.lockout
      const next = await locks.update(`lock:${userId}`, (s) => {
        const state = s ?? { failures: 0, level: 0, lockedUntil: 0 }
        if (state.failures + 1 < threshold) return { ...state, failures: state.failures + 1 }
        const duration = durations[Math.min(state.level, durations.length - 1)]! * 1000
        return { failures: 0, level: state.level + 1, lockedUntil: mfa.now() + duration }
      })
      return next && next.failures === 0 ? next.lockedUntil - mfa.now() : 0
    },
    /** A successful second factor ends the run of failures (and the growth of lock times). */
    resetFailures: async (userId: string) => { await locks.remove(`lock:${userId}`) }
  }
}

export type LoginStore = ReturnType<typeof createLoginStore>
