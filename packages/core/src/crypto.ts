import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SecretDecryptionError } from './errors.js'

/** One key of the keyring. The first key encrypts; every key decrypts. */
export interface KeyringEntry {
  /** Short stable name stored with each ciphertext, e.g. `2026-11`. */
  id: string
  /** 32 bytes, as a Buffer or base64 text. */
  key: Buffer | string
}

/** What is stored for an encrypted secret: AES-256-GCM, with the key id it was sealed with. */
export interface EncryptedValue {
  v: 1
  kid: string
  iv: string
  tag: string
  ct: string
}

export interface SecretBox {
  readonly activeKeyId: string
  /** `context` (e.g. `totp:<userId>`) is bound as additional data: a ciphertext copied to another record fails to open. */
  encrypt(plaintext: string, context: string): EncryptedValue
  decrypt(value: EncryptedValue, context: string): string
}

export function resolveKeyring (keyring: KeyringEntry[]): Map<string, Buffer> {
  const keys = new Map<string, Buffer>()
  for (const entry of keyring) {
    if (typeof entry?.id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(entry.id)) {
      throw new TypeError('@fastify-mfa/core: option "encryptionKeys" needs entries { id, key } with a short id of letters, digits, ".", "_" or "-"')
    }
    const key = typeof entry.key === 'string' ? Buffer.from(entry.key, 'base64') : entry.key
    if (!Buffer.isBuffer(key) || key.length !== 32) {
      throw new TypeError(`@fastify-mfa/core: option "encryptionKeys" key "${entry.id}" must be 32 bytes (a Buffer or base64 text)`)
    }
    if (keys.has(entry.id)) throw new TypeError(`@fastify-mfa/core: option "encryptionKeys" repeats the id "${entry.id}"`)
    keys.set(entry.id, key)
  }
  return keys
}

export function createSecretBox (keys: Map<string, Buffer>): SecretBox {
  const [activeKeyId, activeKey] = [...keys.entries()][0] as [string, Buffer]
  return {
    activeKeyId,
    encrypt (plaintext, context) {
      const iv = randomBytes(12) // 96-bit random nonce, NIST SP 800-38D §8.2.2
      const cipher = createCipheriv('aes-256-gcm', activeKey, iv)
      cipher.setAAD(Buffer.from(context))
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return { v: 1, kid: activeKeyId, iv: iv.toString('base64url'), tag: cipher.getAuthTag().toString('base64url'), ct: ct.toString('base64url') }
    },
    decrypt (value, context) {
      const key = keys.get(value?.kid)
      if (!key) throw new SecretDecryptionError('unknown key id')
      try {
        // The full 16-byte tag only: Node would otherwise accept a truncated one (down to 4 bytes).
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64url'), { authTagLength: 16 })
        decipher.setAAD(Buffer.from(context))
        decipher.setAuthTag(Buffer.from(value.tag, 'base64url'))
        return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        throw new SecretDecryptionError('authentication failed')
      }
    }
  }
}
