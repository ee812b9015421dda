import type { MfaApi } from '@fastify-mfa/core'
import { claim, claimEach, randomToken, type IndexSpec, type StoredDocument } from '@fastify-mfa/core/plugin-kit'

/**
 * An account's lockout, read by `_id` (the user id). `epoch` names the current run of checks: its
 * slots are `l:<user>:<epoch>:<m>`, m = 1 … threshold. A success, a lock and the block of codes
 * start a new epoch, so the slots of the one before stop counting. Only the check that ends an
 * epoch writes it (a plain write by `_id`); no document reads as epoch `'0'` with nothing on record.
 */
interface LockDocument extends StoredDocument {
  epoch: string
  /** Locks in a row (the next lock's duration). */
  level: number
  lockedUntil: number // epoch ms
  /** Wrong codes in a row before this epoch, across locks (NIST SP 800-63B §5.2.2). */
  consecutive: number
  /** At `maxConsecutive`: code factors are refused until a phishing-resistant factor or a reset succeeds. */
  codesBlocked: boolean
}
export type LockSnapshot = Omit<LockDocument, '_id'>

/**
 * A claim by `_id`, one collection for both kinds so a login's check takes both in one command:
 * attempt n of a pending login (`a:<pending>:<n>`) and check m of an account's epoch (`l:<user>:<epoch>:<m>`).
 * A check keeps its slot when its code was wrong (that is the failure on record, kept up to a year)
 * and gives it back after an error; a success starts a new epoch instead, and its slot expires within the hour.
 */
interface SlotDocument extends StoredDocument { userId?: string, at: number, failed?: true, expiresAt: Date }

/** A check that may run, holding slot `m` of `snap.epoch` (and attempt `attempt.n` of its login). */
export interface CheckEntry { userId: string, slot: string, m: number, snap: LockSnapshot, attempt: { n: number, left: number } | null }
export type CheckStart = CheckEntry | { refused: 'expired' } | { refused: 'locked', lockedMs: number } | { refused: 'codesBlocked' }

/** How long a check can take: a slot held longer without an answer is a failure (its process died). */
const CHECK_MS = 60_000
/** Wrong codes count until a factor succeeds, for at most this long. */
const FAILURE_MEMORY_MS = 365 * 86_400_000
/** A slot that has not failed (a success, whose epoch ended, or a check that never answered) is garbage after this. */
const CLAIM_MS = 3_600_000
const expiresTtl: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
const nothing = (epoch: string): LockSnapshot => ({ epoch, level: 0, lockedUntil: 0, consecutive: 0, codesBlocked: false })

/**
 * `ended(userId, snap)`: an epoch ended in a lock or the block of codes. The user's pending logins
 * carry the epoch their password step read, and may hold an older one (a success began a new epoch
 * since); they are given `snap`, so none of them checks a code during the lock, or in an old epoch after it.
 */
export function createLockoutStore (mfa: MfaApi, opts: { maxAttempts: number, lockout: { threshold: number, durations: number[], maxConsecutive: number } },
  ended: (userId: string, snap: LockSnapshot) => Promise<void>) {
  const locks = mfa.collection<LockDocument>('login_locks')
  const slots = mfa.collection<SlotDocument>('login_slots')
  mfa.ensureIndexes(slots, [{ name: 'user', key: { userId: 1 } }, ...expiresTtl])
  const { threshold, durations, maxConsecutive } = opts.lockout

  async function read (userId: string): Promise<LockSnapshot> {
    const doc = await locks.findOne({ _id: userId })
    if (!doc) return nothing('0')
    const { _id, ...snap } = doc
    return snap
  }
  const write = async (userId: string, snap: LockSnapshot): Promise<void> => {
    await locks.updateOne({ _id: userId }, { $set: snap }, { upsert: true })
  }
  /** A success or a support reset: a new epoch with nothing on record. */
  const reset = async (userId: string): Promise<void> => { await write(userId, nothing(randomToken(9))) }
  /** A lock or the block of codes ends the epoch: the new state, also for the user's pending logins. */
  const endEpoch = async (userId: string, next: LockSnapshot): Promise<void> => {
    await write(userId, next)
    await ended(userId, next)
  }
  const lockSlot = (userId: string, epoch: string, m: number): SlotDocument =>
    ({ _id: `l:${userId}:${epoch}:${m}`, userId, at: mfa.now(), expiresAt: new Date(mfa.now() + CLAIM_MS) })
  const attemptSlot = (pending: { id: string, expiresAt: Date }, n: number): SlotDocument =>
    ({ _id: `a:${pending.id}:${n}`, at: mfa.now(), expiresAt: pending.expiresAt })

  /** The first free slot of the epoch from `from` on, or 0 when all are held. */
  async function claimFrom (userId: string, epoch: string, from: number): Promise<number> {
    for (let m = from; m <= threshold; m++) if (await claim(slots, lockSlot(userId, epoch, m))) return m
    return 0
  }

  /** Locks the account at the end of `snap`'s epoch, whose `failures` were all wrong. Returns the lock in ms. */
  async function lock (userId: string, snap: LockSnapshot, failures: number): Promise<number> {
    const ms = durations[Math.min(snap.level, durations.length - 1)]! * 1000
    const consecutive = snap.consecutive + failures
    await endEpoch(userId, { epoch: randomToken(9), level: snap.level + 1, lockedUntil: mfa.now() + ms, consecutive, codesBlocked: snap.codesBlocked || consecutive >= maxConsecutive })
    return ms
  }

  /**
   * Every slot of `snap`'s epoch is held. Another epoch began since `snap` was read: try that one. A
   * lock holds: its time. The last slot a failure (the threshold was lowered since it failed): the
   * failures on record reach the threshold, and the account locks now. The last slot held longer
   * than a check takes (its process died): of the checks that find it so, one takes it over.
   * Otherwise checks are in flight: 1 s.
   */
  async function whenFull (userId: string, snap: LockSnapshot, codeFactor: boolean): Promise<{ snap: LockSnapshot, m: number } | Exclude<CheckStart, CheckEntry>> {
    const now = mfa.now()
    const current = await read(userId)
    if (current.lockedUntil > now) return { refused: 'locked', lockedMs: current.lockedUntil - now }
    if (current.codesBlocked && codeFactor) return { refused: 'codesBlocked' }
    if (current.epoch !== snap.epoch) {
      const m = await claimFrom(userId, current.epoch, 1)
      return m > 0 ? { snap: current, m } : { refused: 'locked', lockedMs: 1000 }
    }
    const last = lockSlot(userId, snap.epoch, threshold)
    const held = await slots.findOne({ _id: last._id })
    if (held?.failed === true) return { refused: 'locked', lockedMs: await lock(userId, current, threshold) }
    if (held && now - held.at > CHECK_MS && await slots.deleteOne({ _id: last._id }) === 1 && await claim(slots, last)) return { snap: current, m: threshold }
    return { refused: 'locked', lockedMs: 1000 }
  }

  return {
    read,

    /**
     * Starts a second-factor check: takes a slot of the account's epoch (`snap`, as the pending login
     * read it, or read now) and, for a login, one of its attempts, in one command when both are free.
     * At most `threshold` checks of an epoch run or failed, on any number of logins and instances.
     */
    async start (userId: string, snap: LockSnapshot | null, codeFactor: boolean, pending: { id: string, expiresAt: Date } | null): Promise<CheckStart> {
      let s = snap ?? await read(userId)
      const now = mfa.now()
      if (s.lockedUntil > now) return { refused: 'locked', lockedMs: s.lockedUntil - now }
      if (s.codesBlocked && codeFactor) return { refused: 'codesBlocked' }
      const won = await claimEach(slots, [...(pending ? [attemptSlot(pending, 1)] : []), lockSlot(userId, s.epoch, 1)])
      let attempt: CheckEntry['attempt'] = null
      if (pending) {
        let n = won[0] ? 1 : 0
        for (let k = 2; n === 0 && k <= opts.maxAttempts; k++) if (await claim(slots, attemptSlot(pending, k))) n = k
        if (n === 0) {
          if (won[1]) await slots.deleteOne({ _id: lockSlot(userId, s.epoch, 1)._id })
          return { refused: 'expired' }
        }
        attempt = { n, left: opts.maxAttempts - n }
      }
      let m = won[won.length - 1] ? 1 : await claimFrom(userId, s.epoch, 2)
      if (m === 0) {
        const next = await whenFull(userId, s, codeFactor)
        if ('refused' in next) {
          // Refused before it ran: the attempt goes back.
          if (pending && attempt) await slots.deleteOne({ _id: attemptSlot(pending, attempt.n)._id })
          return next
        }
        ({ snap: s, m } = next)
      }
      return { userId, slot: lockSlot(userId, s.epoch, m)._id, m, snap: s, attempt }
    },

    /** The factor was right: the run of failures ends, a new epoch begins. */
    passed: async (entry: CheckEntry): Promise<void> => { await reset(entry.userId) },
    /** The check ended in an error, not a wrong code: its slot goes back. */
    release: async (entry: CheckEntry): Promise<void> => { await slots.deleteOne({ _id: entry.slot }) },

    /**
     * A wrong code: its slot stays held, marked as a failure. The check holding the epoch's last slot locks the account;
     * the one reaching `maxConsecutive` blocks codes (and ends the epoch: its free slots are taken).
     * Returns the lock in ms (0 when none) and whether this failure blocked codes.
     */
    async failed (entry: CheckEntry): Promise<{ lockedMs: number, codesBlocked: boolean }> {
      const consecutive = entry.snap.consecutive + entry.m
      const reached = !entry.snap.codesBlocked && consecutive === maxConsecutive
      if (entry.m >= threshold) return { lockedMs: await lock(entry.userId, entry.snap, entry.m), codesBlocked: reached }
      // The failure is on record until a success ends the epoch, or a year: marked and kept in one write.
      await slots.updateOne({ _id: entry.slot }, { $set: { failed: true, expiresAt: new Date(mfa.now() + FAILURE_MEMORY_MS) } })
      if (reached) {
        await claimEach(slots, Array.from({ length: threshold - entry.m }, (_, i) => lockSlot(entry.userId, entry.snap.epoch, entry.m + 1 + i)))
        await endEpoch(entry.userId, { ...entry.snap, epoch: randomToken(9), consecutive, codesBlocked: true })
      }
      return { lockedMs: 0, codesBlocked: reached }
    },

    /** A phishing-resistant sign-in or a support reset: the failures, locks and block end. */
    reset,
    /** Account deletion. */
    async forget (userId: string): Promise<void> {
      await slots.deleteMany({ userId })
      await locks.deleteOne({ _id: userId })
    }
  }
}

export type LockoutStore = ReturnType<typeof createLockoutStore>
