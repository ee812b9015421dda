import type { MfaApi } from '@fastify-mfa/core'
import { claim, consume, type IndexSpec, type MfaCollection, type StoredDocument } from '@fastify-mfa/core/plugin-kit'
import type { BackupCodeCollections } from './options.js'

/** One stored code. `_id` is `${userId}:${setId}:${hint}`, so a typed code names its one document. */
export interface BackupCodeDocument extends StoredDocument {
  userId: string
  setId: string
  /** The first 2 symbols of the code, in clear (not secret; see codeFormat.ts). */
  hint: string
  /** bcrypt hash of the whole normalised code. */
  hash: string
  createdAt: Date
}

/** The user's current set (`_id` is the user id). Only codes of this `setId` are valid. */
export interface BackupCodeSetDocument extends StoredDocument {
  setId: string
  createdAt: Date
  count: number
}

/**
 * A set that was replaced (`_id` is `${userId}:${setId}`). Claiming it is what lets one regeneration
 * replace the set it read; kept until the user is removed, so a late claim of the same set fails.
 */
export interface RetiredSetDocument extends StoredDocument {
  userId: string
  setId: string
  retiredAt: Date
}

export const codeIndexes: IndexSpec[] = [{ name: 'user_set', key: { userId: 1, setId: 1 } }]
export const retiredIndexes: IndexSpec[] = [{ name: 'user', key: { userId: 1 } }]

export const codeId = (userId: string, setId: string, hint: string): string => `${userId}:${setId}:${hint}`
export const retiredId = (userId: string, setId: string): string => `${userId}:${setId}`

export interface BackupCodeStore {
  currentSet(userId: string): Promise<BackupCodeSetDocument | null>
  findCode(userId: string, setId: string, hint: string): Promise<BackupCodeDocument | null>
  /** Deletes the code; of concurrent callers exactly one gets true (core `consume`). */
  consumeCode(id: string): Promise<boolean>
  remaining(userId: string, setId: string): Promise<number>
  /** Whether any code of the set is left (stops at the first: cheaper than counting). */
  hasRemaining(userId: string, setId: string): Promise<boolean>
  insertCodes(codes: BackupCodeDocument[]): Promise<void>
  /** Makes `set` current only when the user has no set yet (core `claim`). */
  claimFirstSet(set: BackupCodeSetDocument): Promise<boolean>
  /** Claims the replacement of the user's set `setId`; of concurrent callers exactly one gets true (core `claim`). */
  retireSet(userId: string, setId: string, at: Date): Promise<boolean>
  /** Points the user at `set` in one write. Only the caller that retired the previous set may call it. */
  writeSet(set: BackupCodeSetDocument): Promise<void>
  deleteSetCodes(userId: string, setId: string): Promise<void>
  /** Deletes the user's set, codes and retired sets; true when there was a set or a code. */
  removeUser(userId: string): Promise<boolean>
  allSets(): Promise<BackupCodeSetDocument[]>
}

export function createBackupCodeStore (mfa: MfaApi, names: BackupCodeCollections): BackupCodeStore {
  const codes: MfaCollection<BackupCodeDocument> = mfa.collection(names.codes)
  const sets: MfaCollection<BackupCodeSetDocument> = mfa.collection(names.sets)
  const retired: MfaCollection<RetiredSetDocument> = mfa.collection(names.retired)
  mfa.ensureIndexes(codes, codeIndexes)
  mfa.ensureIndexes(retired, retiredIndexes)

  return {
    currentSet: async (userId) => await sets.findOne({ _id: userId }),
    findCode: async (userId, setId, hint) => await codes.findOne({ _id: codeId(userId, setId, hint) }),
    consumeCode: async (id) => (await consume(codes, { _id: id })) !== null,
    remaining: async (userId, setId) => await codes.countDocuments({ userId, setId }),
    hasRemaining: async (userId, setId) => await codes.findOne({ userId, setId }) !== null,
    insertCodes: async (docs) => { await codes.insertMany(docs) },
    claimFirstSet: async (set) => await claim(sets, set),
    retireSet: async (userId, setId, at) => await claim(retired, { _id: retiredId(userId, setId), userId, setId, retiredAt: at }),
    async writeSet (set) {
      // A plain write, not a conditional one: the retirement claim already picked the one writer.
      // Upsert, so a removal between the read and this write does not leave the shown codes dead.
      await sets.updateOne({ _id: set._id }, { $set: { setId: set.setId, createdAt: set.createdAt, count: set.count } }, { upsert: true })
    },
    deleteSetCodes: async (userId, setId) => { await codes.deleteMany({ userId, setId }) },
    async removeUser (userId) {
      // The set first: from then on no code of the user matches, whatever is left to delete.
      const removed = await sets.deleteOne({ _id: userId }) + await codes.deleteMany({ userId })
      await retired.deleteMany({ userId })
      return removed > 0
    },
    allSets: async () => await sets.find({})
  }
}
