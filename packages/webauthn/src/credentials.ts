import { claim, isDuplicateKeyError, type MfaCollection } from '@fastify-mfa/core/plugin-kit'
import { authenticatorNameOf } from './authenticatorName.js'
import { errors } from './errors.js'
import type { CounterDocument, CredentialDocument } from './store.js'

/** The credential as the user sees it: never the public key or the counter. */
export interface CredentialView {
  id: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  deviceType: 'singleDevice' | 'multiDevice'
  /** false: a device-bound key (`hwk`); true: a synced passkey (`swk`). */
  backupEligible: boolean
  backedUp: boolean
  /** The authenticator model from its AAGUID ("iCloud Keychain", "YubiKey 5 Series"), or null when unknown. */
  authenticatorName: string | null
  transports: string[]
}

/** Whether the credential is backup-eligible (a synced passkey); older documents say it only through `deviceType`. */
export const backupEligibleOf = (doc: Pick<CredentialDocument, 'backupEligible' | 'deviceType'>): boolean =>
  doc.backupEligible ?? doc.deviceType === 'multiDevice'

export function viewOf (doc: CredentialDocument, hostNames: Readonly<Record<string, string>> = {}): CredentialView {
  return {
    id: doc._id,
    name: doc.name,
    createdAt: doc.createdAt.toISOString(),
    lastUsedAt: doc.lastUsedAt ? doc.lastUsedAt.toISOString() : null,
    deviceType: doc.deviceType,
    backupEligible: backupEligibleOf(doc),
    backedUp: doc.backedUp,
    authenticatorName: authenticatorNameOf(doc.aaguid, hostNames),
    transports: doc.transports
  }
}

export interface CredentialStore {
  listByUser(userId: string): Promise<CredentialDocument[]>
  countByUser(userId: string): Promise<number>
  /** Whether the user has a credential (stops at the first: cheaper than counting). */
  hasAny(userId: string): Promise<boolean>
  get(credentialId: string): Promise<CredentialDocument | null>
  /** Throws `FST_MFA_CREDENTIAL_EXISTS` when the credential id is registered already (to anyone). */
  insert(doc: CredentialDocument): Promise<void>
  rename(userId: string, credentialId: string, name: string): Promise<CredentialDocument | null>
  remove(userId: string, credentialId: string): Promise<boolean>
  removeAll(userId: string): Promise<number>
  /**
   * Accepts a signature counter only when no equal or higher one was accepted for the credential, also
   * against an assertion checked at the same time: the counter is claimed (`<credential id>#<counter>`,
   * inserted by one caller only), then any higher claim refuses it; lower claims are then deleted.
   */
  claimCounter(credentialId: string, counter: number): Promise<boolean>
  /**
   * Records an accepted assertion. The stored counter is what the user's next assertion is compared
   * with first; racing writes may leave a lower one, and the counter claims still refuse its reuse.
   */
  recordUse(credentialId: string, counter: number, backedUp: boolean, at: Date): Promise<void>
  userIds(): Promise<string[]>
  /** Whether any user has a credential of this id. */
  exists(credentialId: string): Promise<boolean>
}

export function createCredentialStore (collection: MfaCollection<CredentialDocument>, counters: MfaCollection<CounterDocument>): CredentialStore {
  const forgetCounters = async (credentialIds: string[]) => {
    if (credentialIds.length > 0) await counters.deleteMany({ credentialId: { $in: credentialIds } })
  }
  return {
    listByUser: async (userId) => await collection.find({ userId }, { sort: { createdAt: 1, _id: 1 } }),
    countByUser: async (userId) => await collection.countDocuments({ userId }),
    hasAny: async (userId) => await collection.findOne({ userId }) !== null,
    get: async (credentialId) => await collection.findOne({ _id: credentialId }),
    async insert (doc) {
      try {
        await collection.insertOne(doc)
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new errors.FST_MFA_CREDENTIAL_EXISTS()
        throw err
      }
    },
    async rename (userId, credentialId, name) {
      const result = await collection.updateOne({ _id: credentialId, userId }, { $set: { name } })
      return result.matchedCount === 1 ? await collection.findOne({ _id: credentialId, userId }) : null
    },
    async remove (userId, credentialId) {
      if (await collection.deleteOne({ _id: credentialId, userId }) !== 1) return false
      await forgetCounters([credentialId])
      return true
    },
    async removeAll (userId) {
      const ids = (await collection.find({ userId })).map((c) => c._id)
      const removed = await collection.deleteMany({ userId })
      await forgetCounters(ids)
      return removed
    },
    async claimCounter (credentialId, counter) {
      if (!await claim(counters, { _id: `${credentialId}#${counter}`, credentialId, counter })) return false
      if (await counters.findOne({ credentialId, counter: { $gt: counter } }) !== null) return false
      await counters.deleteMany({ credentialId, counter: { $lt: counter } })
      return true
    },
    async recordUse (credentialId, counter, backedUp, at) {
      await collection.updateOne({ _id: credentialId }, { $set: { counter, backedUp, lastUsedAt: at } })
    },
    exists: async (credentialId) => await collection.countDocuments({ _id: credentialId }) > 0,
    async userIds () {
      const docs = await collection.find({})
      return [...new Set(docs.map((d) => d.userId))]
    }
  }
}
