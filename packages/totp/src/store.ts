import type { MfaApi } from '@fastify-mfa/core'
import { claimEach, consume, type IndexSpec } from '@fastify-mfa/core/plugin-kit'
import type { TotpSecretDocument, TotpSetupDocument, TotpStepDocument } from './types.js'

/** Collection names (after fastify-mfa's `collectionPrefix`, `mfa_` by default). */
export const totpCollections = { secrets: 'totp', setups: 'totp_setups', steps: 'totp_steps' } as const

// Expiry is checked in every query; the TTL indexes only collect garbage.
export const totpIndexes: Record<keyof typeof totpCollections, IndexSpec[]> = {
  secrets: [],
  setups: [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
  steps: [
    { name: 'user_step', key: { userId: 1, timeStep: -1 } },
    { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
  ]
}

/** The additional data a TOTP secret is sealed with: a ciphertext copied to another user fails to open. */
export const secretContext = (userId: string): string => `totp:${userId}`

export interface TotpStore {
  findSecret(userId: string): Promise<TotpSecretDocument | null>
  enrolledUserIds(): Promise<string[]>
  /** Stores a setup, replacing an earlier unconfirmed one of the user. */
  saveSetup(setup: TotpSetupDocument): Promise<void>
  /** The user's setup when it has not expired. */
  findSetup(userId: string): Promise<TotpSetupDocument | null>
  /** Removes and returns that setup; of concurrent confirms exactly one receives it. */
  consumeSetup(userId: string, secretRef: string): Promise<TotpSetupDocument | null>
  /** Makes the secret active; true when it replaced an earlier one. */
  activate(secret: TotpSecretDocument): Promise<boolean>
  /**
   * Records `timeStep` as used by this secret, and every older step from `oldestStep` (the oldest
   * any instance can accept now) as spent with it: a step is accepted at most once, and never after
   * a newer one, by exactly one of concurrent callers on every instance.
   */
  acceptTimeStep(userId: string, secretRef: string, timeStep: number, oldestStep: number, expiresAt: (step: number) => Date): Promise<boolean>
  /** Removes the secret, any setup and the used steps; true when a secret was removed. */
  remove(userId: string): Promise<boolean>
}

export function createTotpStore (mfa: MfaApi): TotpStore {
  const secrets = mfa.collection<TotpSecretDocument>(totpCollections.secrets)
  const setups = mfa.collection<TotpSetupDocument>(totpCollections.setups)
  const steps = mfa.collection<TotpStepDocument>(totpCollections.steps)
  mfa.ensureIndexes(secrets, totpIndexes.secrets)
  mfa.ensureIndexes(setups, totpIndexes.setups)
  mfa.ensureIndexes(steps, totpIndexes.steps)
  mfa.crypto.registerField({ collection: secrets, field: 'secret', context: (doc) => secretContext(doc._id) })
  mfa.crypto.registerField({ collection: setups, field: 'secret', context: (doc) => secretContext(doc._id) })
  const now = () => new Date(mfa.now())

  return {
    findSecret: async (userId) => await secrets.findOne({ _id: userId }),
    enrolledUserIds: async () => (await secrets.find({})).map((doc) => doc._id),
    async saveSetup ({ _id, ...setup }) {
      await setups.updateOne({ _id }, { $set: setup }, { upsert: true })
    },
    findSetup: async (userId) => await setups.findOne({ _id: userId, expiresAt: { $gt: now() } }),
    consumeSetup: async (userId, secretRef) => await consume(setups, { _id: userId, secretRef, expiresAt: { $gt: now() } }),
    async activate ({ _id, ...secret }) {
      const result = await secrets.updateOne({ _id }, { $set: secret }, { upsert: true })
      return result.matchedCount === 1
    },
    async acceptTimeStep (userId, secretRef, timeStep, oldestStep, expiresAt) {
      // One ordered claim: the older steps first, then this one. A step is inserted only once every
      // older one is held, so a racing older code either went in before (and was accepted first) or
      // finds its step held; the request wins when its own step is its to insert. Markers expire
      // (TTL index, or core's sweep); none is deleted on this path.
      const doc = (step: number): TotpStepDocument => ({ _id: `${userId}:${secretRef}:${step}`, userId, secretRef, timeStep: step, expiresAt: expiresAt(step) })
      const docs = Array.from({ length: Math.max(0, timeStep - oldestStep) }, (_, i) => doc(oldestStep + i))
      const won = await claimEach(steps, [...docs, doc(timeStep)])
      return won[won.length - 1] === true
    },
    async remove (userId) {
      const removed = await secrets.deleteOne({ _id: userId })
      await setups.deleteMany({ _id: userId })
      await steps.deleteMany({ userId })
      return removed === 1
    }
  }
}
