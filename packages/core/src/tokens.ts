import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A random token with `bytes` of entropy, base64url. @default 32 // bytes = 256 bits */
export function randomToken (bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** SHA-256, base64url: how bearer tokens (pending logins, remembered devices) are stored. */
export function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** Compares two strings without an early exit on the first differing character. */
export function constantTimeEqual (a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest()
  const right = createHash('sha256').update(b).digest()
  return timingSafeEqual(left, right) && a.length === b.length
}
