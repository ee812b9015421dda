import { claim, consume, isDuplicateKeyError, type IndexSpec, type MfaApi, type MfaCollection, type StoredDocument } from '@fastify-mfa/core'

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

export const codeIndexes: IndexSpec[] = [{ name: 'user_set', key: { userId: 1, setId: 1 } }]

export const codeId = (userId: string, setId: string, hint: string): string => `${userId}:${setId}:${hint}`

export interface BackupCodeStore {
  currentSet(userId: string): Promise<BackupCodeSetDocument | null>
  findCode(userId: string, setId: string, hint: string): Promise<BackupCodeDocument | null>
  /** Deletes the code; of concurrent callers exactly one gets true (core `consume`). */
  consumeCode(id: string): Promise<boolean>
  remaining(userId: string, setId: string): Promise<number>
  insertCodes(codes: BackupCodeDocument[]): Promise<void>
  /** Points the user at `set` in one write; returns the set it replaced (for cleanup only). */
  replaceSet(set: BackupCodeSetDocument): Promise<BackupCodeSetDocument | null>
  /** Makes `set` current only when the user has no set yet (core `claim`). */
  claimFirstSet(set: BackupCodeSetDocument): Promise<boolean>
  deleteSetCodes(userId: string, setId: string): Promise<void>
  removeUser(userId: string): Promise<void>
  allSets(): Promise<BackupCodeSetDocument[]>
}

export function createBackupCodeStore (mfa: MfaApi, names: { codes: string, sets: string }): BackupCodeStore {
  const codes: MfaCollection<BackupCodeDocument> = mfa.collection(names.codes)
  const sets: MfaCollection<BackupCodeSetDocument> = mfa.collection(names.sets)
  mfa.ensureIndexes(codes, codeIndexes)

  const upsertSet = async (set: BackupCodeSetDocument): Promise<BackupCodeSetDocument | null> =>
    await sets.findOneAndUpdate({ _id: set._id },
      { $set: { setId: set.setId, createdAt: set.createdAt, count: set.count } },
      { upsert: true, returnDocument: 'before' })

  return {
    currentSet: async (userId) => await sets.findOne({ _id: userId }),
    findCode: async (userId, setId, hint) => await codes.findOne({ _id: codeId(userId, setId, hint) }),
    consumeCode: async (id) => (await consume(codes, { _id: id })) !== null,
    remaining: async (userId, setId) => await codes.countDocuments({ userId, setId }),
    insertCodes: async (docs) => { await codes.insertMany(docs) },
    async replaceSet (set) {
      // One write swaps the set, so every older code stops matching at once. Validity rests on the
      // set id (checked again after each consume), not on this returning the exact previous set.
      try {
        return await upsertSet(set)
      } catch (err) {
        // Two first-time upserts may both try the insert; the loser updates the winner's document.
        if (!isDuplicateKeyError(err)) throw err
        return await upsertSet(set)
      }
    },
    claimFirstSet: async (set) => await claim(sets, set),
    deleteSetCodes: async (userId, setId) => { await codes.deleteMany({ userId, setId }) },
    async removeUser (userId) {
      await sets.deleteOne({ _id: userId })
      await codes.deleteMany({ userId })
    },
    allSets: async () => await sets.find({})
  }
}
