import type { MfaApi } from '@fastify-mfa/core'
import { claim, sha256, type IndexSpec } from '@fastify-mfa/core/plugin-kit'
import type { ClaimDocument, CodeDocument, CodePurpose, EnrolmentDocument, SendSlotDocument, SentCodeMethod } from './types.js'

/** Collection names (after fastify-mfa's `collectionPrefix`, `mfa_` by default). */
export const sentCodeCollections = {
  factors: 'sent_code_factors',
  codes: 'sent_codes',
  claims: 'sent_code_claims',
  sends: 'sent_code_sends'
} as const

const ttl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const byUser: IndexSpec = { name: 'user', key: { userId: 1 } }

// Expiry is checked in every query; the TTL indexes only collect garbage.
export const sentCodeIndexes: Record<keyof typeof sentCodeCollections, IndexSpec[]> = {
  factors: [{ name: 'method_user', key: { method: 1, userId: 1 } }],
  codes: [byUser, ttl],
  claims: [byUser, ttl],
  sends: [{ name: 'bucket_at', key: { bucket: 1, at: -1 } }, byUser, ttl]
}

/** The additional data an address is sealed with: a ciphertext copied to another user or method fails to open. */
export const addressContext = (method: SentCodeMethod, userId: string): string => `sent-codes:${method}:${userId}`

const part = encodeURIComponent
export const enrolmentId = (method: SentCodeMethod, userId: string): string => `${method}:${part(userId)}`

/**
 * The one live code of a login, step-up or setup. A new send replaces the document, so the previous
 * code stops working. The binding is hashed: a caller's binding may be derived from a session id.
 */
export const codeKey = (method: SentCodeMethod, userId: string, purpose: CodePurpose, binding: string): string =>
  `${method}:${part(userId)}:${purpose}:${sha256(binding)}`

export interface SentCodeStore {
  findEnrolment(method: SentCodeMethod, userId: string): Promise<EnrolmentDocument | null>
  enrolledUserIds(method: SentCodeMethod): Promise<string[]>
  /** Stores a proven address; true when it replaced an earlier one of that method. */
  saveEnrolment(enrolment: EnrolmentDocument): Promise<boolean>
  /** Removes the address and the user's live codes of that method; true when an address was removed. */
  removeEnrolment(method: SentCodeMethod, userId: string): Promise<boolean>
  /** Stores a code, replacing the earlier one of its login, step-up or setup. */
  saveCode(code: CodeDocument): Promise<void>
  /** The code when it has not expired. */
  findCode(id: string): Promise<CodeDocument | null>
  /** Deletes that code, only if it is still `codeId` (a newer send is left alone). */
  discardCode(id: string, codeId: string): Promise<void>
  /**
   * Claims the next of a code's `max` attempts (1…max) before it is compared, so checks in flight on
   * every instance count; null when all are taken (the code is spent).
   */
  takeAttempt(codeId: string, userId: string, max: number, expiresAt: Date): Promise<number | null>
  /** The code's one use: of concurrent callers on any instance exactly one gets true. */
  claimUse(codeId: string, userId: string, expiresAt: Date): Promise<boolean>
  /** Account deletion: every record of the user. */
  forget(userId: string): Promise<void>
}

export function createSentCodeStore (mfa: MfaApi): SentCodeStore {
  const factors = mfa.collection<EnrolmentDocument>(sentCodeCollections.factors)
  const codes = mfa.collection<CodeDocument>(sentCodeCollections.codes)
  const claims = mfa.collection<ClaimDocument>(sentCodeCollections.claims)
  const sends = mfa.collection<SendSlotDocument>(sentCodeCollections.sends)
  mfa.ensureIndexes(factors, sentCodeIndexes.factors)
  mfa.ensureIndexes(codes, sentCodeIndexes.codes)
  mfa.ensureIndexes(claims, sentCodeIndexes.claims)
  mfa.ensureIndexes(sends, sentCodeIndexes.sends)
  const context = (doc: { method: SentCodeMethod, userId: string }) => addressContext(doc.method, doc.userId)
  mfa.crypto.registerField({ collection: factors, field: 'address', context })
  mfa.crypto.registerField({ collection: codes, field: 'address', context })
  const now = () => new Date(mfa.now())

  return {
    findEnrolment: async (method, userId) => await factors.findOne({ _id: enrolmentId(method, userId) }),
    enrolledUserIds: async (method) => (await factors.find({ method })).map((doc) => doc.userId),
    async saveEnrolment ({ _id, ...enrolment }) {
      const result = await factors.updateOne({ _id }, { $set: enrolment }, { upsert: true })
      return result.matchedCount === 1
    },
    async removeEnrolment (method, userId) {
      const removed = await factors.deleteOne({ _id: enrolmentId(method, userId) })
      await codes.deleteMany({ userId, method })
      return removed === 1
    },
    async saveCode ({ _id, ...code }) {
      // A full replacement: an enrolment code's `address` must not survive into a login code.
      await codes.updateOne({ _id }, { $set: code, ...(code.address ? {} : { $unset: { address: '' } }) }, { upsert: true })
    },
    findCode: async (id) => await codes.findOne({ _id: id, expiresAt: { $gt: now() } }),
    async discardCode (id, codeId) { await codes.deleteOne({ _id: id, codeId }) },
    async takeAttempt (codeId, userId, max, expiresAt) {
      for (let n = 1; n <= max; n++) {
        if (await claim(claims, { _id: `${codeId}:${n}`, userId, expiresAt })) return n
      }
      return null
    },
    claimUse: async (codeId, userId, expiresAt) => await claim(claims, { _id: `${codeId}:used`, userId, expiresAt }),
    async forget (userId) {
      await Promise.all([factors.deleteMany({ userId }), codes.deleteMany({ userId }), claims.deleteMany({ userId }), sends.deleteMany({ userId })])
    }
  }
}
