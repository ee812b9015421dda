import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { MfaApi, MfaEventMap } from '@fastify-mfa/core'
import type { FactorResult } from '@fastify-mfa/core/plugin-kit'
import { backupCodeHint, formatBackupCode } from './codeFormat.js'
import { errors } from './errors.js'
import { generateBackupCodes } from './generateBackupCodes.js'
import { bcryptHashing, decoyHash, type BackupCodeHashing } from './hashing.js'
import { normalizeBackupCode } from './normalizeBackupCode.js'
import type { ResolvedBackupCodesOptions } from './options.js'
import { codeId, createBackupCodeStore, type BackupCodeSetDocument } from './store.js'

export const FACTOR_ID = 'backup-code'

export interface BackupCodeStatus {
  remaining: number
  /** When the current set was generated; null when the user never had codes. */
  createdAt: Date | null
}

export interface BackupCodes {
  status(userId: string): Promise<BackupCodeStatus>
  /** Whether the user has a code left to use. */
  hasCodes(userId: string): Promise<boolean>
  /** A new set replacing every earlier code; the codes are returned once, formatted. */
  regenerate(userId: string, request?: FastifyRequest): Promise<string[]>
  issueIfNone(userId: string, request?: FastifyRequest): Promise<string[] | null>
  verify(userId: string, input: string, request?: FastifyRequest): Promise<FactorResult>
  /** Deletes all of the user's codes; true when the user had a set or a code. */
  remove(userId: string): Promise<boolean>
  enrolledUserIds(): Promise<string[]>
  /** Computes the decoy hash ahead of the first attempt (called when the server becomes ready). */
  warmUp(): Promise<void>
}

/** `hashing` is bcrypt; a test passes a counting wrapper to prove one comparison per attempt. */
export function createBackupCodes (mfa: MfaApi, opts: ResolvedBackupCodesOptions, hashing: BackupCodeHashing = bcryptHashing): BackupCodes {
  const store = createBackupCodeStore(mfa, opts.collections)
  const decoy = decoyHash(hashing, opts.cost)
  const emit = async <K extends 'backup_codes.created' | 'backup_codes.regenerated' | 'backup_codes.used' | 'backup_codes.low'>(
    type: K, userId: string, request: FastifyRequest | undefined, details: MfaEventMap[K]) =>
    await mfa.emit(type, { userId, method: FACTOR_ID, request, details })

  /** Stores a new set's codes; they match nothing until the set document points at them. */
  async function storeNewSet (userId: string): Promise<{ set: BackupCodeSetDocument, codes: string[] }> {
    const codes = generateBackupCodes(opts.count)
    const setId = randomBytes(12).toString('hex')
    const createdAt = new Date(mfa.now())
    const hashes = await Promise.all(codes.map(async (code) => await hashing.hash(code, opts.cost)))
    await store.insertCodes(codes.map((code, i) => {
      const hint = backupCodeHint(code)
      return { _id: codeId(userId, setId, hint), userId, setId, hint, hash: hashes[i]!, createdAt }
    }))
    return { set: { _id: userId, setId, createdAt, count: codes.length }, codes }
  }

  /**
   * Makes a new set current in place of `current`, the set the caller read (null: none yet); null
   * when another request replaced it first. The new codes are stored before the race is decided, so
   * the winner's set is complete the moment it becomes current. Of callers that read the same set,
   * exactly one wins a claim by `_id` (its retirement, or the first set's `_id`): a conditional
   * update would be read-then-write on some servers (docs/architecture.md, "Storage rules").
   */
  async function replaceSet (userId: string, current: BackupCodeSetDocument | null): Promise<string[] | null> {
    const { set, codes } = await storeNewSet(userId)
    const won = current ? await store.retireSet(userId, current.setId, set.createdAt) : await store.claimFirstSet(set)
    if (!won) {
      await store.deleteSetCodes(userId, set.setId)
      return null
    }
    if (current) {
      await store.writeSet(set)
      await store.deleteSetCodes(userId, current.setId)
    }
    return codes.map(formatBackupCode)
  }

  async function regenerate (userId: string, request?: FastifyRequest): Promise<string[]> {
    const codes = await replaceSet(userId, await store.currentSet(userId))
    // The loser's codes were never current: it must not show them.
    if (!codes) throw new errors.FST_MFA_BACKUP_CODES_CONFLICT()
    await emit('backup_codes.regenerated', userId, request, { count: codes.length })
    return codes
  }

  async function status (userId: string): Promise<BackupCodeStatus> {
    const set = await store.currentSet(userId)
    if (!set) return { remaining: 0, createdAt: null }
    return { remaining: await store.remaining(userId, set.setId), createdAt: set.createdAt }
  }

  /** Whether `set` (the user's current one, or none) has a code left. */
  const hasCodesIn = async (userId: string, set: BackupCodeSetDocument | null): Promise<boolean> =>
    set !== null && await store.hasRemaining(userId, set.setId)

  return {
    status,
    hasCodes: async (userId) => await hasCodesIn(userId, await store.currentSet(userId)),
    regenerate,
    async issueIfNone (userId, request) {
      const current = await store.currentSet(userId)
      if (await hasCodesIn(userId, current)) return null
      // Replacing exactly the set found empty: of two first enrolments at once, one issues codes.
      const codes = await replaceSet(userId, current)
      if (codes) await emit(current ? 'backup_codes.regenerated' : 'backup_codes.created', userId, request, { count: codes.length })
      return codes
    },

    async verify (userId, input, request) {
      // Malformed or over-long input is refused here, before any store access or bcrypt.
      const normalized = normalizeBackupCode(input)
      if (normalized === null) return { ok: false, reason: 'invalid' }
      const set = await store.currentSet(userId)
      if (!set) return { ok: false, reason: 'not_enrolled' }
      // The hint selects the single hash to compare; without one, a decoy of the same cost keeps
      // the time the same. Exactly one bcrypt comparison per attempt.
      const stored = await store.findCode(userId, set.setId, backupCodeHint(normalized))
      const matches = await hashing.compare(normalized, stored?.hash ?? await decoy())
      if (!stored || !matches) return { ok: false, reason: 'invalid' }
      const consumed = await store.consumeCode(stored._id)
      // A regeneration between the lookup and the consume retired this code (and may have deleted
      // it already, so a failed consume is a replay only while its set is still current).
      if ((await store.currentSet(userId))?.setId !== set.setId) return { ok: false, reason: 'invalid' }
      if (!consumed) return { ok: false, reason: 'replay' }
      const remaining = await store.remaining(userId, set.setId)
      await emit('backup_codes.used', userId, request, { remaining })
      if (remaining <= opts.lowThreshold) await emit('backup_codes.low', userId, request, { remaining })
      return { ok: true, userId, amr: ['rec'], aal: 2 }
    },

    remove: async (userId) => await store.removeUser(userId),
    warmUp: async () => { await decoy() },

    async enrolledUserIds () {
      const sets = await store.allSets()
      const counts = await Promise.all(sets.map(async (set) => await store.remaining(set._id, set.setId)))
      return sets.filter((_, i) => counts[i]! > 0).map((set) => set._id)
    }
  }
}
