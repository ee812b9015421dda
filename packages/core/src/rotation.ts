import { createSecretBox, type EncryptedValue, type SecretBox } from './crypto.js'
import type { MfaCollection, StoredDocument } from './store/types.js'

/** A field holding an `EncryptedValue`, registered by the plugin that owns it so rotation can find it. */
export interface EncryptedField<T extends StoredDocument = StoredDocument> {
  collection: MfaCollection<T>
  field: string
  /** The additional data the value was sealed with, from its document. */
  context: (doc: T) => string
}

export interface MfaCrypto extends SecretBox {
  registerField<T extends StoredDocument>(field: EncryptedField<T>): void
  /** Re-encrypts every registered value not sealed with the active key; returns how many changed. */
  rotate(): Promise<number>
}

export function createCrypto (keys: Map<string, Buffer>): MfaCrypto {
  const box = createSecretBox(keys)
  const fields: EncryptedField[] = []
  return {
    ...box,
    registerField: (field) => { fields.push(field as unknown as EncryptedField) },
    async rotate () {
      let changed = 0
      for (const { collection, field, context } of fields) {
        const stale = await collection.find({ [field]: { $exists: true, $ne: null }, [`${field}.kid`]: { $ne: box.activeKeyId } })
        for (const doc of stale) {
          const old = (doc as unknown as Record<string, EncryptedValue>)[field]!
          const fresh = box.encrypt(box.decrypt(old, context(doc)), context(doc))
          // Conditional on the old ciphertext: a secret replaced meanwhile is not overwritten.
          const r = await collection.updateOne({ _id: doc._id, [`${field}.ct`]: old.ct }, { $set: { [field]: fresh } })
          changed += r.modifiedCount
        }
      }
      return changed
    }
  }
}
