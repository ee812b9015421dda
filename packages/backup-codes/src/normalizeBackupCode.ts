import { BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH, BACKUP_CODE_MAX_INPUT } from './codeFormat.js'

// Crockford base32 decoding rules: o reads as 0, i and l as 1.
const LOOK_ALIKES: Record<string, string> = { o: '0', i: '1', l: '1' }
const SEPARATORS = /[\s\-_\u2010-\u2015\u2212]/g
const VALID = new RegExp(`^[${BACKUP_CODE_ALPHABET}]{${BACKUP_CODE_LENGTH}}$`)

/**
 * The canonical form of what a user typed (`ABCD EFGH-JKMN` -> `abcdefghjkmn`), or null when it
 * cannot be a backup code. Case, spaces, dashes and look-alike characters do not matter; over-long
 * input is refused before any work is done on it.
 */
export function normalizeBackupCode (input: unknown): string | null {
  if (typeof input !== 'string' || input.length > BACKUP_CODE_MAX_INPUT) return null
  const compact = input.normalize('NFKC').toLowerCase().replace(SEPARATORS, '')
  let normalized = ''
  for (const symbol of compact) normalized += LOOK_ALIKES[symbol] ?? symbol
  return VALID.test(normalized) ? normalized : null
}
