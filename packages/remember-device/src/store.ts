import { consume, type IndexSpec, type MfaCollection, type StoredDocument } from '@fastify-mfa/core/plugin-kit'

/**
 * A remembered ("trusted") device, `mfa_devices`. The cookie token itself is never stored: `_id` is
 * its SHA-256, so a leaked database cannot be replayed as cookies. `publicId` is what routes show.
 */
export interface TrustedDevice extends StoredDocument {
  /** SHA-256 (base64url) of the cookie token. */
  _id: string
  /** Random id shown by `GET /devices` and used by `DELETE /devices/:id`; unrelated to the token. */
  publicId: string
  userId: string
  label: string
  ip: string
  createdAt: Date
  lastUsedAt: Date
  /** Checked in every query; the TTL index only collects garbage. */
  expiresAt: Date
  /** The user's security stamp when the device was remembered; a new stamp retires the device. */
  securityStamp: string
}

export const deviceIndexes: IndexSpec[] = [
  { name: 'user_expiry', key: { userId: 1, expiresAt: 1 } },
  // Random 128-bit ids: collisions are not a concern, so no uniqueness is asked of the index.
  { name: 'public_id', key: { publicId: 1 } },
  { name: 'expiry_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
]

export interface TrustedDeviceStore {
  insert(device: TrustedDevice): Promise<void>
  /** The live device of `userId` whose token hashes to `tokenHash`, or null (unknown, other user, expired). */
  findLive(tokenHash: string, userId: string): Promise<TrustedDevice | null>
  /** Live devices issued under the current stamp, most recently used first. */
  listLive(userId: string, securityStamp: string): Promise<TrustedDevice[]>
  countLive(userId: string, securityStamp: string): Promise<number>
  markUsed(tokenHash: string, at: Date): Promise<void>
  /** Deletes and returns the device; null when it does not exist or belongs to someone else. */
  revoke(userId: string, publicId: string): Promise<TrustedDevice | null>
  /** Deletes the device with this token hash, whoever owns it (the browser holding it replaces it). */
  revokeByToken(tokenHash: string): Promise<TrustedDevice | null>
  revokeAll(userId: string): Promise<number>
}

export function createTrustedDeviceStore (collection: MfaCollection<TrustedDevice>, now: () => number): TrustedDeviceStore {
  const live = () => ({ expiresAt: { $gt: new Date(now()) } })
  return {
    insert: async (device) => { await collection.insertOne(device) },
    findLive: async (tokenHash, userId) => await collection.findOne({ _id: tokenHash, userId, ...live() }),
    listLive: async (userId, securityStamp) =>
      await collection.find({ userId, securityStamp, ...live() }, { sort: { lastUsedAt: -1 } }),
    countLive: async (userId, securityStamp) => await collection.countDocuments({ userId, securityStamp, ...live() }),
    async markUsed (tokenHash, at) { await collection.updateOne({ _id: tokenHash }, { $set: { lastUsedAt: at } }) },
    // consume: of two concurrent revocations one reports the device, so it is audited once.
    revoke: async (userId, publicId) => await consume(collection, { userId, publicId }),
    revokeByToken: async (tokenHash) => await consume(collection, { _id: tokenHash }),
    revokeAll: async (userId) => await collection.deleteMany({ userId })
  }
}
