import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH, backupCodeHint } from './codeFormat.js'

export type RandomBytes = (size: number) => Buffer

/** One normalised code: each symbol takes 5 of a random byte's bits (256 / 32 is exact, so no bias). */
export function generateBackupCode (randomBytes: RandomBytes = cryptoRandomBytes): string {
  const bytes = randomBytes(BACKUP_CODE_LENGTH)
  let code = ''
  for (const byte of bytes) code += BACKUP_CODE_ALPHABET[byte & 31]
  return code
}

/**
 * `count` normalised codes whose hints differ, so a typed code selects at most one stored hash.
 * A code whose hint is taken is drawn again (with 10 codes and 1024 hints, about 1 set in 23 has
 * one redraw); this costs the secret part nothing.
 */
export function generateBackupCodes (count: number, randomBytes: RandomBytes = cryptoRandomBytes): string[] {
  const byHint = new Map<string, string>()
  while (byHint.size < count) {
    const code = generateBackupCode(randomBytes)
    const hint = backupCodeHint(code)
    if (!byHint.has(hint)) byHint.set(hint, code)
  }
  return [...byHint.values()]
}
