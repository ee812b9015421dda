import { isDuplicateKeyError, type MfaCollection } from '@fastify-mfa/core'
import { errors } from './errors.js'
import type { CredentialDocument } from './store.js'

/** The credential as the user sees it: never the public key or the counter. */
export interface CredentialView {
  id: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  deviceType: 'singleDevice' | 'multiDevice'
  backedUp: boolean
  transports: string[]
}

export function viewOf (doc: CredentialDocument): CredentialView {
  return {
    id: doc._id,
    name: doc.name,
    createdAt: doc.createdAt.toISOString(),
    lastUsedAt: doc.lastUsedAt ? doc.lastUsedAt.toISOString() : null,
    deviceType: doc.deviceType,
    backedUp: doc.backedUp,
    transports: doc.transports
  }
}

export interface CredentialStore {
  listByUser(userId: string): Promise<CredentialDocument[]>
  countByUser(userId: string): Promise<number>
  get(credentialId: string): Promise<CredentialDocument | null>
  /** Throws `FST_MFA_CREDENTIAL_EXISTS` when the credential id is registered already (to anyone). */
  insert(doc: CredentialDocument): Promise<void>
  rename(userId: string, credentialId: string, name: string): Promise<CredentialDocument | null>
  remove(userId: string, credentialId: string): Promise<boolean>
  removeAll(userId: string): Promise<number>
  /**
   * Records an accepted assertion. A plain update: two assertions of one credential can only race
   * with two different challenges, each single-use, so the later write cannot let a replay through.
   */
  recordUse(credentialId: string, counter: number, backedUp: boolean, at: Date): Promise<void>
  userIds(): Promise<string[]>
}

export function createCredentialStore (collection: MfaCollection<CredentialDocument>): CredentialStore {
  return {
    listByUser: async (userId) => await collection.find({ userId }, { sort: { createdAt: 1, _id: 1 } }),
    countByUser: async (userId) => await collection.countDocuments({ userId }),
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
    remove: async (userId, credentialId) => (await collection.deleteOne({ _id: credentialId, userId })) === 1,
    removeAll: async (userId) => await collection.deleteMany({ userId }),
    async recordUse (credentialId, counter, backedUp, at) {
      await collection.updateOne({ _id: credentialId }, { $set: { counter, backedUp, lastUsedAt: at } })
    },
    async userIds () {
      const docs = await collection.find({})
      return [...new Set(docs.map((d) => d.userId))]
    }
  }
}
