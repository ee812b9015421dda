import { errors, type MfaApi } from '@fastify-mfa/core'
import { claim, sha256, withDetails } from '@fastify-mfa/core/plugin-kit'
import { sentCodeCollections } from './store.js'
import type { ResolvedSentCodesOptions, SendSlotDocument, SentCodeMethod } from './types.js'

const HOUR_MS = 3_600_000

/** The slots one send holds: the binding's first (given back when delivery fails), then the hourly ones. */
export interface SendEntry { bindingSlot: string, hourlySlots: string[] }

export interface SendRequest {
  method: SentCodeMethod
  userId: string
  /** The code's key (method, user, purpose, binding): the bucket of the per-binding limits. */
  key: string
  address: string
}

/**
 * Send limits in the store, so they span instances (like mfa-login's password brake). Each send
 * claims, by `_id`, one of a bucket's numbered slots of the current hour before anything is sent:
 * sends in flight on any number of instances cannot exceed a budget, as no two can hold one slot.
 * Buckets: the binding (a login, step-up or setup: `perBinding`, and one send per `interval`), the
 * account (`perAccountPerHour`) and the address (`perAddressPerHour`, across accounts).
 */
export function createSendLimits (mfa: MfaApi, limits: ResolvedSentCodesOptions['sendLimits']) {
  const sends = mfa.collection<SendSlotDocument>(sentCodeCollections.sends)
  const intervalMs = limits.interval * 1000
  const refuse = (retryAfterMs: number): Error =>
    withDetails(new errors.FST_MFA_RATE_LIMITED(), { retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) })

  /** Claims the first free slot of `bucket` in this hour, or throws 429 until the next hour. */
  async function take (bucket: string, budget: number, userId: string, now: number): Promise<SendSlotDocument> {
    const hour = Math.floor(now / HOUR_MS)
    const hourEnd = (hour + 1) * HOUR_MS
    // Kept past the hour by one interval: a send at 59:59 still holds back one at 00:10.
    const expiresAt = new Date(hourEnd + intervalMs)
    for (let n = 1; n <= budget; n++) {
      const slot = { _id: `${bucket}:${hour}:${n}`, bucket, userId, at: new Date(now), expiresAt }
      if (await claim(sends, slot)) return slot
    }
    throw refuse(hourEnd - now)
  }

  /**
   * One send per interval and binding: claim first, then look at the binding's recent slots. Of racing
   * sends only the first in the order (time, `_id`) goes on, so exactly one of them is sent whichever
   * instance each runs on; the others give their slot back.
   */
  async function assertInterval (slot: SendSlotDocument, now: number): Promise<void> {
    const recent = await sends.find({ bucket: slot.bucket, at: { $gt: new Date(now - intervalMs) } })
    const before = recent.filter((s) => s._id !== slot._id &&
      (s.at.getTime() < slot.at.getTime() || (s.at.getTime() === slot.at.getTime() && s._id < slot._id)))
    if (before.length === 0) return
    await release(slot._id)
    throw refuse(Math.max(...before.map((s) => s.at.getTime())) + intervalMs - now)
  }

  const release = async (slotId: string): Promise<void> => { await sends.deleteOne({ _id: slotId }) }

  return {
    /** Takes the slots of one send, or throws 429 `FST_MFA_RATE_LIMITED` with `retryAfter` (nothing held). */
    async enter ({ userId, key, address }: SendRequest): Promise<SendEntry> {
      const now = mfa.now()
      const binding = await take(`b:${key}`, limits.perBinding, userId, now)
      await assertInterval(binding, now)
      const hourly: string[] = []
      try {
        hourly.push((await take(`u:${encodeURIComponent(userId)}`, limits.perAccountPerHour, userId, now))._id)
        hourly.push((await take(`a:${sha256(address.toLowerCase())}`, limits.perAddressPerHour, userId, now))._id)
      } catch (err) {
        // Refused: the send did not happen, so it uses up none of the other budgets.
        await Promise.all([binding._id, ...hourly].map(release))
        throw err
      }
      return { bindingSlot: binding._id, hourlySlots: hourly }
    },

    /**
     * A send whose delivery failed: the binding's slot is given back, so the user may try again at
     * once and the login's budget counts only delivered codes; the hourly slots stay taken (a
     * provider may have charged for it), which bounds failing sends too.
     */
    async deliveryFailed (entry: SendEntry): Promise<void> { await release(entry.bindingSlot) }
  }
}

export type SendLimiter = ReturnType<typeof createSendLimits>
