import { createHash, randomBytes } from 'node:crypto'

/** A random token with `bytes` of entropy, base64url. @default 32 // bytes = 256 bits */
export function randomToken (bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** SHA-256, base64url: how bearer tokens (pending logins, remembered devices) are stored. */
export function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
