import type { MfaApi } from '@fastify-mfa/core'
import { casIndexes, casRegister, claim, randomToken, sha256, type IndexSpec, type MfaCollection, type StoredDocument, type VersionDocument } from '@fastify-mfa/core/plugin-kit'

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

/**
 * The documents of `login_guard` besides pending logins: an attempt at a pending login's second
 * factor (`<pending _id>:<n>`), or a step-up's check (`check:<user>:<random>`). While `checkUntil`
 * lies ahead, the check is in flight and counts under the account lockout.
 */
interface CheckDocument extends StoredDocument { kind: 'attempt' | 'check', userId: string, checkUntil?: Date, expiresAt: Date }

/**
 * The account's second-factor lockout: wrong codes since the last lock, locks in a row, until when
 * (epoch ms), and wrong codes in a row across locks (`consecutive`; at `maxConsecutive` codes stop
 * being accepted: `codesBlocked`). A successful factor removes it.
 */
export interface LockState { failures: number, level: number, lockedUntil: number, consecutive?: number, codesBlocked?: boolean }

/** What the account's documents say: its pending logins, checks in flight and lock state (one query). */
export interface AccountState {
  pending(id: string): PendingLogin | null
  inFlight: number
  lock: LockState | null
}

/** A check that may run (its mark goes with `endCheck`, or with the login it completed), or what refused it. */
export type CheckStart = { mark: string, hasFailures: boolean, account: AccountState } | { lockedMs: number } | { codesBlocked: true }

/** How long a crashed check counts as in flight; a check takes milliseconds. */
const CHECK_MARK_TTL_MS = 60_000

// Expiry is checked wherever a document is read; TTL indexes (or core's sweep) only collect garbage.
const expiresTtl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const guardIndexes: IndexSpec[] = [{ name: 'user', key: { userId: 1 } }, expiresTtl, ...casIndexes]
const lockKey = (userId: string): string => `lock:${userId}`

/**
 * The second step's state, all in `login_guard` and all carrying `userId`: pending logins, their
 * attempts (which double as the account's checks in flight), step-up checks and the lock register.
 * So one query by `userId` tells a check everything the lockout needs (and its pending login), and
 * one counted delete both spends the pending login and ends the check.
 */
export function createLoginStore (mfa: MfaApi, opts: { pendingTtl: number, maxAttempts: number, lockout: { threshold: number, durations: number[], maxConsecutive: number } }) {
  type GuardDocument = (PendingLogin & { kind: 'pending' }) | CheckDocument | (VersionDocument & { userId: string })
  const guard = mfa.collection<GuardDocument>('login_guard')
  mfa.ensureIndexes(guard, guardIndexes)
  const locks = casRegister<LockState>(guard as unknown as MfaCollection<VersionDocument>, mfa.now, (key) => ({ userId: key.slice('lock:'.length) }))
  const live = (doc: { expiresAt: Date } | null): boolean => doc !== null && doc.expiresAt.getTime() > mfa.now()

  /** Every document of the account, read at once (the index on `userId`). */
  async function account (userId: string): Promise<AccountState> {
    const now = mfa.now()
    const docs = await guard.find({ userId })
    let lock: (VersionDocument & { userId: string }) | null = null
    let inFlight = 0
    const pendings = new Map<string, PendingLogin>()
    for (const doc of docs) {
      if ('key' in doc) {
        if (doc.key === lockKey(userId) && (lock === null || doc.version > lock.version)) lock = doc
      } else if (doc.kind === 'pending') {
        if (live(doc)) pendings.set(doc._id, doc)
      } else if (doc.checkUntil && doc.checkUntil.getTime() > now) {
        inFlight++
      }
    }
    const lockLive = lock !== null && !(lock.expiresAt && lock.expiresAt.getTime() <= now)
    return { pending: (id) => pendings.get(id) ?? null, inFlight, lock: lockLive ? lock!.value as LockState : null }
  }

  function lockInfo (state: LockState | null): { lockedMs: number, hasFailures: boolean, failures: number, codesBlocked: boolean } {
    return {
      lockedMs: state ? Math.max(0, state.lockedUntil - mfa.now()) : 0,
      hasFailures: state !== null,
      failures: state?.failures ?? 0,
      codesBlocked: state?.codesBlocked === true
    }
  }

  const checkMark = (userId: string, kind: CheckDocument['kind'], _id: string): CheckDocument => {
    const now = mfa.now()
    return { _id, kind, userId, checkUntil: new Date(now + CHECK_MARK_TTL_MS), expiresAt: new Date(now + Math.max(opts.pendingTtl * 1000, CHECK_MARK_TTL_MS)) }
  }

  /** Ends a check (after its failure, if any, was recorded); a login's attempt stays, spent. */
  async function endCheck (mark: string): Promise<void> {
    if (mark.startsWith('check:')) await guard.deleteOne({ _id: mark })
    else await guard.updateOne({ _id: mark }, { $unset: { checkUntil: '' } })
  }

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
      await guard.insertOne({ ...doc, kind: 'pending' })
      return { token, doc }
    },
    async find (id: string): Promise<PendingLogin | null> {
      const doc = await guard.findOne({ _id: id, kind: 'pending' })
      return live(doc as PendingLogin | null) ? doc as PendingLogin : null
    },
    /**
     * Single use: of concurrent completions exactly one deletes the pending login (and only while it
     * lives). The same delete ends the completing check (`mark`), so exactly one caller sees 2.
     */
    consume: async (login: PendingLogin, mark: string) => await guard.deleteMany({ _id: { $in: [login._id, mark] } }) === 2 && live(login),
    // The attempts are left to expire with the login: removed early, a guess already in flight
    // would find its slot free again and be evaluated beyond the limit.
    discard: async (id: string) => { await guard.deleteOne({ _id: id, kind: 'pending' }) },
    /** Ends the user's pending logins (a security change: a second step begun before it cannot finish). */
    discardForUser: async (userId: string) => { await guard.deleteMany({ userId, kind: 'pending' }) },
    /** Account deletion: pending logins, checks and the lock register. */
    forgetUser: async (userId: string) => { await guard.deleteMany({ userId }) },
    /**
     * Takes one of the pending login's attempts before its code is checked, so parallel guesses
     * cannot exceed `maxAttempts`: attempt n is the document `<id>:<n>`, and of concurrent takers
     * exactly one inserts it. The attempt is also the check's mark under the account lockout
     * (`startCheck`). Returns its id, n and how many are left after it, or null when all are taken.
     */
    async takeAttempt (id: string, userId: string): Promise<{ mark: string, n: number, left: number } | null> {
      for (let n = 1; n <= opts.maxAttempts; n++) {
        const mark = `${id}:${n}`
        if (await claim(guard, checkMark(userId, 'attempt', mark))) return { mark, n, left: opts.maxAttempts - n }
      }
      return null
    },
    /** Gives back an attempt when no code was checked with it. */
    returnAttempt: async (mark: string) => { await guard.deleteOne({ _id: mark, kind: 'attempt' }) },
    /** The password step's and passkey's read: the lock register only (by `key`), not the account's other documents. */
    lockState: async (userId: string) => lockInfo((await locks.read(lockKey(userId))).value),
    /**
     * Starts a second-factor check under the account lockout, so checks in flight on any number of
     * pending logins and instances cannot outnumber the wrong codes the account has left: the check
     * is marked first (`attempt`, a login's attempt; else a step-up mark is written), then the
     * account's marks are counted and its failures read, in one query (a failing check records its
     * failure before its mark ends, so it is seen as one or the other). With more marks than codes
     * left (at least one check may always run) it is refused with 1 s; a locked account with the
     * lock time.
     */
    async startCheck (userId: string, codeFactor: boolean, attempt?: string): Promise<CheckStart> {
      const mark = attempt ?? `check:${userId}:${randomToken(12)}`
      if (!attempt) await guard.insertOne(checkMark(userId, 'check', mark))
      const state = await account(userId)
      const { lockedMs, hasFailures, failures, codesBlocked } = lockInfo(state.lock)
      const blocked = codesBlocked && codeFactor
      if (!blocked && lockedMs === 0 && state.inFlight <= Math.max(1, opts.lockout.threshold - failures)) return { mark, hasFailures, account: state }
      await endCheck(mark)
      return blocked ? { codesBlocked: true } : { lockedMs: lockedMs > 0 ? lockedMs : 1000 }
    },
    endCheck,
    /**
     * Counts a wrong second factor: the lock time in ms when this failure locked the account, and
     * whether it was the one that reached `maxConsecutive` (codes are no longer accepted).
     */
    async recordFailure (userId: string): Promise<{ lockedMs: number, codesBlocked: boolean }> {
      const { threshold, durations, maxConsecutive } = opts.lockout
      let reached = false
      const next = await locks.update(lockKey(userId), (s) => {
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
    resetFailures: async (userId: string) => { await locks.remove(lockKey(userId)) }
  }
}

export type LoginStore = ReturnType<typeof createLoginStore>
