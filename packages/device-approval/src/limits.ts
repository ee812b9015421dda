import type { MfaApi } from '@fastify-mfa/core'
import { claim, withDetails, type MfaCollection } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import type { LimitDocument, ResolvedDeviceApprovalOptions } from './types.js'

/** How long a denial counts toward a run of denials in a row (an approval ends the run sooner). */
const DENIAL_RUN_MS = 86_400_000

/**
 * Limits against MFA fatigue, in the store so they span instances, each built on `_id` claims: a
 * limit of n is n numbered slots that each hold an expiry. A slot is taken by inserting it; a slot
 * past its expiry is deleted (a filter on its expiry: a live one is never removed) and claimed again.
 * Never a conditional update or `$inc` (FerretDB applies those as read-then-write: several racers win).
 */
export function createApprovalLimits (mfa: MfaApi, limits: MfaCollection<LimitDocument>, opts: ResolvedDeviceApprovalOptions) {
  const user = encodeURIComponent
  const startSlots = (userId: string) => Array.from({ length: opts.maxRequests }, (_, n) => `${user(userId)}:start:${n}`)
  const denySlots = (userId: string) => Array.from({ length: opts.maxDenials }, (_, n) => `${user(userId)}:deny:${n}`)
  const lockId = (userId: string) => `${user(userId)}:lock`
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))
  const limited = (ms: number) => withDetails(new errors.FST_MFA_RATE_LIMITED(), { retryAfter: seconds(ms) })

  /** Takes slot `_id` until `expiresAt`; false while someone else holds it. */
  async function take (id: string, userId: string, expiresAt: Date): Promise<boolean> {
    if (await claim(limits, { _id: id, userId, expiresAt })) return true
    const held = await limits.findOne({ _id: id })
    if (held && held.expiresAt.getTime() > mfa.now()) return false
    // Expired: remove it (only while expired) and claim it again. Whoever removed it (this caller, a
    // racer, core's sweep of expired documents), the insert decides: of racers exactly one holds it.
    if (held) await limits.deleteOne({ _id: id, expiresAt: { $lte: new Date(mfa.now()) } })
    return await claim(limits, { _id: id, userId, expiresAt })
  }

  /** Milliseconds the account's requests stay paused after denials in a row (0: not paused). */
  async function lockedMs (userId: string): Promise<number> {
    const lock = await limits.findOne({ _id: lockId(userId), expiresAt: { $gt: new Date(mfa.now()) } })
    return lock ? lock.expiresAt.getTime() - mfa.now() : 0
  }

  return {
    lockedMs,
    /** 429 `FST_MFA_RATE_LIMITED` (with `retryAfter`) while the account's requests are paused. */
    async assertNotLocked (userId: string): Promise<void> {
      const ms = await lockedMs(userId)
      if (ms > 0) throw limited(ms)
    },

    /** One of the account's `maxRequests` per `requestWindow` (sliding), or 429 until the oldest ends. */
    async takeStart (userId: string): Promise<void> {
      const slots = startSlots(userId)
      const expiresAt = new Date(mfa.now() + opts.requestWindow * 1000)
      for (const id of slots) if (await take(id, userId, expiresAt)) return
      const held = await limits.find({ _id: { $in: slots }, expiresAt: { $gt: new Date(mfa.now()) } })
      throw limited(Math.min(...held.map((s) => s.expiresAt.getTime())) - mfa.now())
    },

    /**
     * Counts a denial (deny, or a wrong number). The `maxDenials`-th in a row pauses requests for
     * `lockSeconds`: `locked` is true for the one caller that took the lock.
     */
    async recordDenial (userId: string): Promise<{ locked: boolean }> {
      const expiresAt = new Date(mfa.now() + DENIAL_RUN_MS)
      const slots = denySlots(userId)
      let taken = -1
      for (let n = 0; n < slots.length && taken < 0; n++) if (await take(slots[n]!, userId, expiresAt)) taken = n
      // All slots held (a racing denial took the last one): the run is complete either way.
      if (taken >= 0 && taken < slots.length - 1) return { locked: false }
      const locked = await take(lockId(userId), userId, new Date(mfa.now() + opts.lockSeconds * 1000))
      // A new run starts after the pause.
      if (locked) await limits.deleteMany({ _id: { $in: slots } })
      return { locked }
    },

    /** An approval ends the run of denials. */
    async resetDenials (userId: string): Promise<void> { await limits.deleteMany({ _id: { $in: denySlots(userId) } }) }
  }
}

export type ApprovalLimits = ReturnType<typeof createApprovalLimits>
