import type { MfaApi } from '@fastify-mfa/core'
import { claim, claimEach, sha256, type IndexSpec, type StoredDocument } from '@fastify-mfa/core/plugin-kit'
import type { ResolvedBrakeOptions } from './options.js'

/** One password check of a bucket in a window: `<bucket>:<window>:<n>`. Kept when it failed, given back when it did not. */
interface SlotDocument extends StoredDocument { bucket: string, expiresAt: Date }

/**
 * A bucket's brake (`_id` is the bucket): how many times in a row it held, and until when (epoch ms).
 * Only the check that took a window's last slot writes it (one writer at a time), so a plain
 * write by `_id` is enough. It is read by `_id` only when a window's first slot is held.
 */
interface BrakeDocument extends StoredDocument { level: number, lockedUntil: number, expiresAt: Date }

/** A password check that may run, or the seconds the brake still holds. */
export type BrakeEntry = { slot: string, n: number, budget: number, bucket: string } | { retryAfter: number }

const expiresTtl: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
const DAY_MS = 86_400_000

/**
 * The per-account brake on wrong passwords, in the store so it spans instances. A bucket is an
 * account (or the typed login of an unknown user, so both answer alike), or one browser with the
 * account's device cookie. Each check claims one of the bucket's `budget` slots of the current
 * window by `_id` before the password is compared, so checks in flight on any number of instances
 * cannot exceed the budget; a right password gives its slot back (only failures count). The
 * failure that takes the last slot sets the brake, for `durations[level]`: it grows each time in a
 * row, and is forgotten a day after it last held. The brake also takes the first slot of each
 * later window it covers, so the fast path (first slot free: no failure, no check in flight, no
 * brake) needs no read: the brake is read only when the first slot is held.
 */
export function createPasswordBrake (mfa: MfaApi, opts: ResolvedBrakeOptions) {
  const slots = mfa.collection<SlotDocument>('password_slots')
  const brakes = mfa.collection<BrakeDocument>('password_brakes')
  mfa.ensureIndexes(slots, expiresTtl)
  mfa.ensureIndexes(brakes, expiresTtl)
  const windowMs = opts.window * 1000
  const live = (doc: BrakeDocument | null): BrakeDocument | null => doc !== null && doc.expiresAt.getTime() > mfa.now() ? doc : null
  /** Slot n of a bucket in a window, kept until the window ends. */
  const slotOf = (bucket: string, window: number, n: number): SlotDocument => ({ _id: `${bucket}:${window}:${n}`, bucket, expiresAt: new Date((window + 1) * windowMs) })

  return {
    /** Buckets: the account, one known browser of it, or an unknown login (hashed: logins are not stored). */
    bucketOf: (userId: string | null, login: string, device: string | null): string =>
      userId === null ? `login:${sha256(login.toLowerCase())}` : device === null ? `user:${userId}` : `device:${userId}:${device}`,

    async enter (bucket: string, budget: number): Promise<BrakeEntry> {
      const now = mfa.now()
      const window = Math.floor(now / windowMs)
      const slot = (n: number): SlotDocument => slotOf(bucket, window, n)
      if (await claim(slots, slot(1))) return { slot: slot(1)._id, n: 1, budget, bucket }
      // The first slot is held (a failure, a check in flight, or a brake): is the bucket braked?
      const state = live(await brakes.findOne({ _id: bucket }))
      if (state !== null && state.lockedUntil > now) return { retryAfter: Math.ceil((state.lockedUntil - now) / 1000) }
      for (let n = 2; n <= budget; n++) {
        if (await claim(slots, slot(n))) return { slot: slot(n)._id, n, budget, bucket }
      }
      // Every slot is taken by failures or checks in flight: wait for the next window.
      return { retryAfter: Math.ceil(((window + 1) * windowMs - now) / 1000) }
    },

    /**
     * A right password: the slot is given back (before the answer, so the next check finds it free).
     * On the slow path (a held first slot) it also ends the brake's growth; otherwise the growth is
     * forgotten a day after the brake last held.
     */
    async passed (entry: Extract<BrakeEntry, { slot: string }>): Promise<void> {
      await slots.deleteOne({ _id: entry.slot })
      if (entry.n > 1) await brakes.deleteOne({ _id: entry.bucket })
    },

    /** A check that failed without comparing (an error): its slot is given back. */
    release: async (entry: Extract<BrakeEntry, { slot: string }>): Promise<void> => { await slots.deleteOne({ _id: entry.slot }) },

    /** A wrong password keeps its slot; the one that took the last slot sets the brake. Returns its seconds, or 0. */
    async failed (entry: Extract<BrakeEntry, { slot: string }>): Promise<number> {
      if (entry.n < entry.budget) return 0
      // Only this check (the one that took the last slot) writes the brake.
      const now = mfa.now()
      const level = live(await brakes.findOne({ _id: entry.bucket }))?.level ?? 0
      const lockedUntil = now + opts.durations[Math.min(level, opts.durations.length - 1)]! * 1000
      // Forgotten a day after it last held.
      await brakes.updateOne({ _id: entry.bucket }, { $set: { level: level + 1, lockedUntil, expiresAt: new Date(lockedUntil + DAY_MS) } }, { upsert: true })
      // The first slot of each later window the brake reaches into: a check there reads the brake.
      const first = Math.floor(now / windowMs) + 1
      const last = Math.floor((lockedUntil - 1) / windowMs)
      await claimEach(slots, Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => slotOf(entry.bucket, first + i, 1)))
      return Math.ceil((lockedUntil - now) / 1000)
    }
  }
}

export type PasswordBrake = ReturnType<typeof createPasswordBrake>
