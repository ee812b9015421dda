import type { MfaApi } from '@fastify-mfa/core'
import { casIndexes, casRegister, claim, randomToken, sha256, type IndexSpec, type StoredDocument, type VersionDocument } from '@fastify-mfa/core/plugin-kit'

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
  createdAt: Date
  expiresAt: Date
}

/** One attempt at a pending login's second factor: `<pending _id>:<n>`. */
interface AttemptDocument extends StoredDocument { expiresAt: Date }

/**
 * The account's second-factor lockout: wrong codes since the last lock, locks in a row, until when
 * (epoch ms), and wrong codes in a row across locks (`consecutive`; at `maxConsecutive` codes stop
 * being accepted: `codesBlocked`). A successful factor removes it.
 */
export interface LockState { failures: number, level: number, lockedUntil: number, consecutive?: number, codesBlocked?: boolean }

/** A second-factor check in flight for an account: `<user>:<random>`, removed when the check ends. */
interface CheckDocument extends StoredDocument { userId: string, expiresAt: Date }

/** A check that may run (remove its mark with `endCheck`), or the lock time that refused it. */
export type CheckStart = { mark: string, hasFailures: boolean } | { lockedMs: number } | { codesBlocked: true }

/** How long a crashed check's mark counts; a check takes milliseconds. */
const CHECK_MARK_TTL_MS = 60_000

// Expiry is checked wherever a document is read; TTL indexes (or core's sweep) only collect garbage.
const expiresTtl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const pendingIndexes: IndexSpec[] = [{ name: 'user', key: { userId: 1 } }, expiresTtl]

export function createLoginStore (mfa: MfaApi, opts: { pendingTtl: number, maxAttempts: number, lockout: { threshold: number, durations: number[], maxConsecutive: number } }) {
  const pending = mfa.collection<PendingLogin>('pending_logins')
  const attempts = mfa.collection<AttemptDocument>('login_attempts')
  const lockVersions = mfa.collection<VersionDocument>('login_locks')
  const checks = mfa.collection<CheckDocument>('login_checks')
  mfa.ensureIndexes(pending, pendingIndexes)
  mfa.ensureIndexes(attempts, [expiresTtl])
  mfa.ensureIndexes(checks, [{ name: 'user', key: { userId: 1, expiresAt: 1 } }, expiresTtl])
  mfa.ensureIndexes(lockVersions, casIndexes)
  const locks = casRegister<LockState>(lockVersions, mfa.now)
  const live = (doc: { expiresAt: Date } | null): boolean => doc !== null && doc.expiresAt.getTime() > mfa.now()

  /** The account's lock state: milliseconds it stays locked (0 when not), and the failures on record. */
  async function lockState (userId: string): Promise<{ lockedMs: number, hasFailures: boolean, failures: number, codesBlocked: boolean }> {
    const state = (await locks.read(`lock:${userId}`)).value
    return {
      lockedMs: state ? Math.max(0, state.lockedUntil - mfa.now()) : 0,
      hasFailures: state !== null,
      failures: state?.failures ?? 0,
      codesBlocked: state?.codesBlocked === true
    }
  }

  // The login's hot path reads and writes pending logins and attempts by `_id` only, with expiry
  // checked here (the `_id` index is the one every MongoDB-compatible server has and uses). The
  // lock state is the register's newest version (index `key_version`); login_locks holds only
  // accounts with failures on record.
  return {
    async create (userId: string, methods: string[], enrollOnly: boolean, requiredAmr: string[] | null): Promise<{ token: string, doc: PendingLogin }> {
      const token = randomToken()
      const now = mfa.now()
      const doc: PendingLogin = {
        _id: sha256(token),
        userId,
        methods,
        ...(enrollOnly ? { enrollOnly } : {}),
        ...(requiredAmr ? { requiredAmr } : {}),
        authTime: Math.floor(now / 1000),
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
    // The attempts are left to expire with the login: removed early, a guess already in flight
    // would find its slot free again and be evaluated beyond the limit.
    discard: async (id: string) => { await pending.deleteOne({ _id: id }) },
    /** Ends the user's pending logins (a security change: a second step begun before it cannot finish). */
    discardForUser: async (userId: string) => { await pending.deleteMany({ userId }) },
    /** Account deletion: pending logins, the lock register and checks in flight. */
    async forgetUser (userId: string) {
      await pending.deleteMany({ userId })
      await checks.deleteMany({ userId })
      await locks.remove(`lock:${userId}`)
    },
    /**
     * Takes one of the pending login's attempts before its code is checked, so parallel guesses
     * cannot exceed `maxAttempts`: attempt n is the document `<id>:<n>`, and of concurrent takers
     * exactly one inserts it. Returns n and how many are left after it, or null when all are taken.
     */
    async takeAttempt (id: string): Promise<{ n: number, left: number } | null> {
      const expiresAt = new Date(mfa.now() + opts.pendingTtl * 1000)
      for (let n = 1; n <= opts.maxAttempts; n++) {
        if (await claim(attempts, { _id: `${id}:${n}`, expiresAt })) return { n, left: opts.maxAttempts - n }
      }
      return null
    },
    /** Gives back attempt n of a pending login when no code was checked with it. */
    returnAttempt: async (id: string, n: number) => { await attempts.deleteOne({ _id: `${id}:${n}` }) },
    lockState,
    /**
     * Starts a second-factor check under the account lockout, so checks in flight on any number of
     * pending logins and instances cannot outnumber the wrong codes the account has left: the check
     * marks itself first, then counts the marks (its own included) and reads the failures on record,
     * in that order (a failing check records its failure before removing its mark, so it is seen as
     * one or the other). With more marks than codes left (at least one check may always run) it is
     * refused with 1 s; a locked account with the lock time.
     */
    async startCheck (userId: string, codeFactor: boolean): Promise<CheckStart> {
      const now = mfa.now()
      const mark = `${userId}:${randomToken(12)}`
      await checks.insertOne({ _id: mark, userId, expiresAt: new Date(now + CHECK_MARK_TTL_MS) })
      const inFlight = await checks.countDocuments({ userId, expiresAt: { $gt: new Date(now) } })
      const { lockedMs, hasFailures, failures, codesBlocked } = await lockState(userId)
      const blocked = codesBlocked && codeFactor
      if (!blocked && lockedMs === 0 && inFlight <= Math.max(1, opts.lockout.threshold - failures)) return { mark, hasFailures }
      await checks.deleteOne({ _id: mark })
      return blocked ? { codesBlocked: true } : { lockedMs: lockedMs > 0 ? lockedMs : 1000 }
    },
    /** Ends a check (after its failure, if any, was recorded). */
    endCheck: async (mark: string) => { await checks.deleteOne({ _id: mark }) },
    /**
     * Counts a wrong second factor: the lock time in ms when this failure locked the account, and
     * whether it was the one that reached `maxConsecutive` (codes are no longer accepted).
     */
    async recordFailure (userId: string): Promise<{ lockedMs: number, codesBlocked: boolean }> {
      const { threshold, durations, maxConsecutive } = opts.lockout
      let reached = false
      const next = await locks.update(`lock:${userId}`, (s) => {
        const state = s ?? { failures: 0, level: 0, lockedUntil: 0 }
        // NIST SP 800-63B §5.2.2: failures in a row are counted across locks, not from each lock.
        const consecutive = (state.consecutive ?? 0) + 1
        reached = consecutive >= maxConsecutive && state.codesBlocked !== true
        const common = { consecutive, ...(consecutive >= maxConsecutive ? { codesBlocked: true } : {}) }
        if (state.failures + 1 < threshold) return { ...state, ...common, failures: state.failures + 1 }
        const duration = durations[Math.min(state.level, durations.length - 1)]! * 1000
        return { ...common, failures: 0, level: state.level + 1, lockedUntil: mfa.now() + duration }
      })
      return { lockedMs: next && next.failures === 0 ? next.lockedUntil - mfa.now() : 0, codesBlocked: reached }
    },
    /** A successful second factor ends the run of failures (and the growth of lock times). */
    resetFailures: async (userId: string) => { await locks.remove(`lock:${userId}`) }
  }
}

export type LoginStore = ReturnType<typeof createLoginStore>
