import { randomBytes } from 'node:crypto'
import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '../src/index.js'
import type { EncryptedValue, StoredDocument } from '../src/pluginKit.js'
import { createSecretBox, resolveKeyring } from '../src/crypto.js'
import { createCrypto } from '../src/rotation.js'

const oldKey = { id: 'old', key: randomBytes(32) }
const newKey = { id: 'new', key: randomBytes(32).toString('base64') }

t.test('the same plaintext encrypts differently each time and opens again', async (t) => {
  const box = createSecretBox(resolveKeyring([oldKey]))
  const a = box.encrypt('JBSWY3DPEHPK3PXP', 'totp:u1')
  const b = box.encrypt('JBSWY3DPEHPK3PXP', 'totp:u1')
  t.not(a.ct, b.ct)
  t.not(a.iv, b.iv)
  t.equal(a.kid, 'old')
  t.equal(box.decrypt(a, 'totp:u1'), 'JBSWY3DPEHPK3PXP')
  t.notMatch(JSON.stringify(a), 'JBSWY3DPEHPK3PXP')
})

t.test('tampering, another context or an unknown key fail to decrypt', async (t) => {
  const box = createSecretBox(resolveKeyring([oldKey]))
  const sealed = box.encrypt('secret', 'totp:u1')
  const flip = (s: string) => { const buf = Buffer.from(s, 'base64url'); buf[0]! ^= 1; return buf.toString('base64url') }
  t.throws(() => box.decrypt({ ...sealed, ct: flip(sealed.ct) }, 'totp:u1'), { code: 'FST_MFA_SECRET_DECRYPTION' })
  t.throws(() => box.decrypt({ ...sealed, tag: flip(sealed.tag) }, 'totp:u1'), { code: 'FST_MFA_SECRET_DECRYPTION' })
  t.throws(() => box.decrypt({ ...sealed, iv: flip(sealed.iv) }, 'totp:u1'), { code: 'FST_MFA_SECRET_DECRYPTION' })
  const truncated = Buffer.from(sealed.tag, 'base64url').subarray(0, 4).toString('base64url')
  t.throws(() => box.decrypt({ ...sealed, tag: truncated }, 'totp:u1'), { code: 'FST_MFA_SECRET_DECRYPTION' }, 'a truncated tag (a 2^-32 forgery) is refused')
  t.throws(() => box.decrypt(sealed, 'totp:u2'), { code: 'FST_MFA_SECRET_DECRYPTION' }, 'a ciphertext moved to another user does not open')
  t.throws(() => box.decrypt({ ...sealed, kid: 'other' }, 'totp:u1'), { code: 'FST_MFA_SECRET_DECRYPTION' })
})

t.test('the keyring is validated', async (t) => {
  t.throws(() => resolveKeyring([{ id: 'k', key: randomBytes(16) }]), /32 bytes/)
  t.throws(() => resolveKeyring([{ id: 'bad id!', key: randomBytes(32) }]), /id/)
  t.throws(() => resolveKeyring([oldKey, oldKey]), /repeats/)
})

await eachStore(t, async (t, store) => {
  t.test('a record sealed with an old key opens after rotation and rotate() re-encrypts it', async (t) => {
    const s = store === 'memory' ? createMemoryStore() : createMongoStore(store)
    const secrets = s.collection<StoredDocument & { secret: EncryptedValue }>('rotation_secrets')
    const before = createCrypto(resolveKeyring([oldKey]))
    await secrets.insertMany(['u1', 'u2'].map((id) => ({ _id: id, secret: before.encrypt(`secret-${id}`, `totp:${id}`) })))
    const after = createCrypto(resolveKeyring([newKey, oldKey]))
    after.registerField({ collection: secrets as never, field: 'secret', context: (doc) => `totp:${doc._id}` })
    t.equal(after.decrypt((await secrets.findOne({ _id: 'u1' }))!.secret, 'totp:u1'), 'secret-u1', 'old key still decrypts')
    t.equal(await after.rotate(), 2)
    const rotated = await secrets.find({})
    t.same(rotated.map((d) => d.secret.kid), ['new', 'new'])
    t.equal(after.decrypt(rotated[1]!.secret, 'totp:u2'), 'secret-u2')
    t.equal(await after.rotate(), 0, 'nothing left to rotate')
    const onlyNew = createSecretBox(resolveKeyring([newKey]))
    t.equal(onlyNew.decrypt(rotated[0]!.secret, 'totp:u1'), 'secret-u1', 'the old key can now be dropped')
  })
})
