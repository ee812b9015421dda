import type { MfaApi } from '@fastify-mfa/core'
import { claim, sha256, type IndexSpec, type StoredDocument } from '@fastify-mfa/core/plugin-kit'
import type { ResolvedBrakeOptions } from './options.js'

/** One password check of a bucket in a window: `<bucket>:<window>:<n>`. Kept when it failed, given back when it did not. */
interface SlotDocument extends StoredDocument { bucket: string, expiresAt: Date }

/**
 * A bucket's brake (`_id` is the bucket): how many times in a row it held, and until when (epoch ms).
 * Only the check that took a window's last slot writes it (one writer at a time), so a plain
 * write by `_id` is enough; it is read by `_id`, the one read of the fast path.
 */
interface BrakeDocument extends StoredDocument { level: number, lockedUntil: number, expiresAt: Date }

/** A password check that may run, or the seconds the brake still holds. */
export type BrakeEntry = { slot: string, n: number, budget: number, bucket: string, level: number } | { retryAfter: number }

const expiresTtl: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
const DAY_MS = 86_400_000

/**
 * The per-account brake on wrong passwords, in the store so it spans instances. A bucket is an
 * account (or the typed login of an unknown user, so both answer alike), or one browser with the
 * account's device cookie. Each check claims one of the bucket's `budget` slots of the current
 * window by `_id` before the password is compared, so checks in flight on any number of instances
 * cannot exceed the budget; a right password gives its slot back (only failures count). The
 * failure that takes the last slot sets the brake, for `durations[level]`: it grows each time in a
 * row, and is forgotten a day after it last held.
 */
export function createPasswordBrake (mfa: MfaApi, opts: ResolvedBrakeOptions) {
  const slots = mfa.collection<SlotDocument>('password_slots')
  const brakes = mfa.collection<BrakeDocument>('password_brakes')
  mfa.ensureIndexes(slots, expiresTtl)
  mfa.ensureIndexes(brakes, expiresTtl)
  const windowMs = opts.window * 1000
  const live = (doc: BrakeDocument | null): BrakeDocument | null => doc !== null && doc.expiresAt.getTime() > mfa.now() ? doc : null

  return {
    /** Buckets: the account, one known browser of it, or an unknown login (hashed: logins are not stored). */
    bucketOf: (userId: string | null, login: string, device: string | null): string =>
      userId === null ? `login:${sha256(login.toLowerCase())}` : device === null ? `user:${userId}` : `device:${userId}:${device}`,

    async enter (bucket: string, budget: number): Promise<BrakeEntry> {
      const now = mfa.now()
      // The one read of the fast path; absent for buckets that never reached their threshold.
      const state = live(await brakes.findOne({ _id: bucket }))
      if (state !== null && state.lockedUntil > now) return { retryAfter: Math.ceil((state.lockedUntil - now) / 1000) }
      const window = Math.floor(now / windowMs)
      const expiresAt = new Date((window + 1) * windowMs)
      for (let n = 1; n <= budget; n++) {
        const slot = `${bucket}:${window}:${n}`
        if (await claim(slots, { _id: slot, bucket, expiresAt })) return { slot, n, budget, bucket, level: state?.level ?? 0 }
      }
      // Every slot is taken by failures or checks in flight: wait for the next window.
      return { retryAfter: Math.ceil((expiresAt.getTime() - now) / 1000) }
    },

    /** A right password: the slot is given back (before the answer, so the next check finds it free), and the brake history ends. */
    async passed (entry: Extract<BrakeEntry, { slot: string }>): Promise<void> {
      await slots.deleteOne({ _id: entry.slot })
      if (entry.level > 0) await brakes.deleteOne({ _id: entry.bucket })
    },

    /** A check that failed without comparing (an error): its slot is given back. */
    release: async (entry: Extract<BrakeEntry, { slot: string }>): Promise<void> => { await slots.deleteOne({ _id: entry.slot }) },

    /** A wrong password keeps its slot; the one that took the last slot sets the brake. Returns its seconds, or 0. */
    async failed (entry: Extract<BrakeEntry, { slot: string }>): Promise<number> {
      if (entry.n < entry.budget) return 0
      // The level `enter` read: only this check (the one that took the last slot) writes the brake.
      const now = mfa.now()
      const level = entry.level
      const lockedUntil = now + opts.durations[Math.min(level, opts.durations.length - 1)]! * 1000
      // Forgotten a day after it last held.
      await brakes.updateOne({ _id: entry.bucket }, { $set: { level: level + 1, lockedUntil, expiresAt: new Date(lockedUntil + DAY_MS) } }, { upsert: true })
      return Math.ceil((lockedUntil - now) / 1000)
    }
  }
}

export type PasswordBrake = ReturnType<typeof createPasswordBrake>
