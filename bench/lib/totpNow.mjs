// A TOTP code (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) computed synchronously, for the load
// generator to type a code at the moment it sends it, as a user does: a peer on the wall clock may
// take longer over a round than a code's window lasts.
import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Bytes of a base32 secret (RFC 4648, padding and case ignored). */
export function decodeBase32 (secret) {
  let bits = 0
  let value = 0
  const out = []
  for (const char of secret.toUpperCase().replace(/=+$/, '')) {
    const index = ALPHABET.indexOf(char)
    if (index < 0) throw new TypeError(`not base32: ${char}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out.push((value >>> bits) & 0xff)
    }
  }
  return Buffer.from(out)
}

/** The 6-digit code of `key` (bytes) for the 30 s time step of `epochMs` (RFC 4226 §5.3 truncation). */
export function totpNow (key, epochMs = Date.now()) {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(epochMs / 30_000)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}
