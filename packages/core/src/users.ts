import { randomBytes } from 'node:crypto'
import { claim } from './store/atomics.js'
import type { IndexSpec, MfaCollection } from './store/types.js'

/** Per-user MFA record (`mfa_users`): the security stamp and identifiers factor plugins need. */
export interface MfaUserRecord {
  _id: string // the host's user id
  securityStamp: string
  createdAt: Date
  stampChangedAt?: Date
  /** Random WebAuthn user handle (base64url), never the email or database id. */
  webauthnUserHandle?: string
}

export interface UserRecords {
  /** The current security stamp; created on first use. */
  securityStamp(userId: string): Promise<string>
  /** Issues a new stamp: every remembered device of the user stops working. */
  changeSecurityStamp(userId: string): Promise<string>
  get(userId: string): Promise<MfaUserRecord>
  /** Sets a field once (first writer wins) and returns the stored value. */
  setOnce<K extends 'webauthnUserHandle'>(userId: string, field: K, value: string): Promise<string>
  findByField(field: 'webauthnUserHandle', value: string): Promise<MfaUserRecord | null>
}

/** Passkey sign-in finds the user by handle: one user per handle. */
export const userIndexes: IndexSpec[] = [{ name: 'webauthn_user_handle', key: { webauthnUserHandle: 1 }, unique: true, sparse: true }]

const newStamp = (): string => randomBytes(16).toString('base64url')

export function createUserRecords (collection: MfaCollection<MfaUserRecord>, now: () => number): UserRecords {
  const get = async (userId: string): Promise<MfaUserRecord> => {
    const existing = await collection.findOne({ _id: userId })
    if (existing) return existing
    // First use: of concurrent creators one insert wins and everyone reads its stamp.
    // The WebAuthn user handle is made here too, so it is never written by two racing requests.
    await claim(collection, { _id: userId, securityStamp: newStamp(), createdAt: new Date(now()), webauthnUserHandle: randomBytes(32).toString('base64url') })
    return (await collection.findOne({ _id: userId }))!
  }
  return {
    get,
    securityStamp: async (userId) => (await get(userId)).securityStamp,
    async changeSecurityStamp (userId) {
      const stamp = newStamp()
      await collection.updateOne({ _id: userId },
        { $set: { securityStamp: stamp, stampChangedAt: new Date(now()) }, $setOnInsert: { createdAt: new Date(now()) } },
        { upsert: true })
      return stamp
    },
    async setOnce (userId, field, value) {
      await get(userId)
      await collection.updateOne({ _id: userId, [field]: { $exists: false } }, { $set: { [field]: value } })
      return (await get(userId))[field] as string
    },
    findByField: async (field, value) => await collection.findOne({ [field]: value })
  }
}
