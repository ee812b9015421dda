import { randomBytes } from 'node:crypto'
import bcrypt from 'bcrypt'

/** How codes are hashed and checked: bcrypt, or a counting wrapper of it in a test. */
export interface BackupCodeHashing {
  hash(normalized: string, cost: number): Promise<string>
  compare(normalized: string, hash: string): Promise<boolean>
}

export const bcryptHashing: BackupCodeHashing = {
  hash: async (normalized, cost) => await bcrypt.hash(normalized, cost),
  compare: async (normalized, hash) => await bcrypt.compare(normalized, hash)
}

/**
 * A hash of a random value at the configured cost. When no stored code has the typed code's hint,
 * the code is compared with this instead, so every well-formed attempt costs the same one
 * comparison and the answer time does not tell whether a hint exists.
 */
export function decoyHash (hashing: BackupCodeHashing, cost: number): () => Promise<string> {
  let hash: Promise<string> | null = null
  return async () => {
    hash ??= hashing.hash(randomBytes(16).toString('hex'), cost)
    return await hash
  }
}
