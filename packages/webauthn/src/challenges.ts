import { consume, type MfaCollection, type StoreFilter } from '@fastify-mfa/core/plugin-kit'
import type { ChallengeDocument, ChallengePurpose } from './store.js'

export interface ChallengeBinding {
  purpose: ChallengePurpose
  binding: string
  userId: string | null
}

export type ConsumedChallenge =
  | { ok: true, challenge: ChallengeDocument }
  | { ok: false, reason: 'expired' | 'invalid' }

export interface ChallengeStore {
  /** Stores `challenge` (base64url, from the options just generated) bound to the ceremony. */
  issue(challenge: string, binding: ChallengeBinding, extra?: { name?: string }): Promise<void>
  /**
   * Spends the challenge the client answered. Exactly one concurrent caller gets it, and it is spent
   * before the response is verified, so a failed or replayed response can never be retried with it.
   */
  consume(challenge: string, binding: ChallengeBinding): Promise<ConsumedChallenge>
  /** Account deletion: the user's open challenges. */
  removeForUser(userId: string): Promise<void>
}

export function createChallengeStore (collection: MfaCollection<ChallengeDocument>, now: () => number, ttlSeconds: number): ChallengeStore {
  return {
    async issue (challenge, { purpose, binding, userId }, extra = {}) {
      await collection.insertOne({
        _id: challenge,
        purpose,
        binding,
        userId,
        ...(extra.name !== undefined ? { name: extra.name } : {}),
        expiresAt: new Date(now() + ttlSeconds * 1000)
      })
    },
    async consume (challenge, { purpose, binding, userId }) {
      const bound = { _id: challenge, purpose, binding, userId } as StoreFilter<ChallengeDocument>
      const doc = await consume(collection, { ...bound, expiresAt: { $gt: new Date(now()) } })
      if (doc) return { ok: true, challenge: doc }
      // Tell an expired challenge from an unknown one (so the user is told to start again), and clear it.
      const expired = await consume(collection, bound)
      return { ok: false, reason: expired ? 'expired' : 'invalid' }
    },
    removeForUser: async (userId) => { await collection.deleteMany({ userId }) }
  }
}
