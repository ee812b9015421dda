import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * A sent code as stored: HMAC-SHA-256 keyed with a random per-code salt. This keeps the code out of
 * a database dump at a glance, but 6 digits are a million guesses offline: the real protection is
 * online, in the few attempts a code allows, its short life and its single use.
 */
export function hashSentCode (code: string, salt: string = randomBytes(16).toString('base64url')): { hash: string, salt: string } {
  return { hash: createHmac('sha256', salt).update(code).digest('base64url'), salt }
}

/** Whether `code` is the one stored as `hash` with `salt`, compared in constant time. */
export function sentCodeMatches (code: string, stored: { hash: string, salt: string }): boolean {
  const expected = Buffer.from(stored.hash, 'base64url')
  const actual = Buffer.from(hashSentCode(code, stored.salt).hash, 'base64url')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
