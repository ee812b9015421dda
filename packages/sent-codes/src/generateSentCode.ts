import { randomInt } from 'node:crypto'

/** The number of digits of a sent code. */
export const SENT_CODE_DIGITS = 6

/** A 6-digit code from the CSPRNG (uniform: `randomInt` rejects biased draws). */
export function generateSentCode (): string {
  return randomInt(0, 10 ** SENT_CODE_DIGITS).toString().padStart(SENT_CODE_DIGITS, '0')
}
