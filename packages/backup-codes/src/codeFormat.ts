/**
 * The backup-code format. Crockford's base32 alphabet leaves out I, L, O and U, so nothing a user
 * copies by hand can be misread; the look-alikes they type anyway are mapped back on input.
 *
 * A code is 12 symbols (60 bits from `crypto.randomBytes`), shown as `xxxx-xxxx-xxxx`. The first
 * 2 symbols are the lookup hint, stored in clear so a check needs one bcrypt comparison; the other
 * 10 symbols (50 bits) are known to the server only through the bcrypt hash.
 */
export const BACKUP_CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

/** Symbols in a code. @unit characters */
export const BACKUP_CODE_LENGTH = 12

/** Symbols at the start of a code stored in clear to pick the one hash to compare. */
export const BACKUP_CODE_HINT_LENGTH = 2

/** Symbols shown per dash-separated group. */
export const BACKUP_CODE_GROUP = 4

/** Bits per symbol: the alphabet has 32 symbols. */
export const BITS_PER_SYMBOL = 5

/** Entropy of a whole code and of the part the hint does not reveal. @unit bits */
export const BACKUP_CODE_ENTROPY_BITS = BACKUP_CODE_LENGTH * BITS_PER_SYMBOL
export const BACKUP_CODE_SECRET_BITS = (BACKUP_CODE_LENGTH - BACKUP_CODE_HINT_LENGTH) * BITS_PER_SYMBOL

/**
 * Longest input looked at, spaces and dashes included. Anything longer is refused before
 * normalisation or bcrypt, so a huge body costs nothing.
 */
export const BACKUP_CODE_MAX_INPUT = 64

/** JSON schema for a backup code in a request body (for routes that accept one). */
export const backupCodeSchema = { type: 'string', minLength: 1, maxLength: BACKUP_CODE_MAX_INPUT } as const

/** `abcd-efgh-jkmn` from `abcdefghjkmn`. */
export function formatBackupCode (normalized: string): string {
  const groups: string[] = []
  for (let i = 0; i < normalized.length; i += BACKUP_CODE_GROUP) groups.push(normalized.slice(i, i + BACKUP_CODE_GROUP))
  return groups.join('-')
}

/** The clear-text lookup hint of a normalised code. */
export function backupCodeHint (normalized: string): string {
  return normalized.slice(0, BACKUP_CODE_HINT_LENGTH)
}
