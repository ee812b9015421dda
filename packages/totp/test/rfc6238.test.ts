import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { generateTotpCode, verifyTotpCode, type TotpAlgorithm, type TotpSecretDocument } from '../src/index.js'
import { secretContext, totpCollections } from '../src/store.js'
import { buildTotpApp } from './helpers.js'

// RFC 6238 Appendix B: the seed of each algorithm is its ASCII digits, repeated to the hash size.
const seeds: Record<TotpAlgorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234'
}

const vectors: Array<[number, string, TotpAlgorithm]> = [
  [59, '94287082', 'SHA1'], [59, '46119246', 'SHA256'], [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'], [1111111109, '68084774', 'SHA256'], [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'], [1111111111, '67062674', 'SHA256'], [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'], [1234567890, '91819424', 'SHA256'], [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'], [2000000000, '90698825', 'SHA256'], [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'], [20000000000, '77737706', 'SHA256'], [20000000000, '47863826', 'SHA512']
]

/** RFC 4648 base32 without padding: how the secret is stored and shown to authenticator apps. */
function base32 (bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0')
  let out = ''
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)]
  return out
}

t.test('Appendix B: all 18 vectors generate and verify (no drift window)', async (t) => {
  t.equal(vectors.length, 18)
  for (const [time, expected, algorithm] of vectors) {
    const params = { algorithm, digits: 8 as const, period: 30 }
    const secret = base32(Buffer.from(seeds[algorithm]))
    t.equal(await generateTotpCode(secret, params, time), expected, `${algorithm} at ${time}`)
    t.equal(await verifyTotpCode(secret, expected, { ...params, window: 0 }, time), Math.floor(time / 30), `${algorithm} verifies at ${time}`)
    t.equal(await verifyTotpCode(secret, expected, { ...params, window: 0 }, time + 30), null, `${algorithm} refused one step later`)
  }
})

t.test('Appendix B through the factor: stored encrypted, verified by fastify.mfa.factors', async (t) => {
  await eachStore(t, async (t, store) => {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      const { app, clock } = await buildTotpApp(t, store, { options: { algorithm, digits: 8, window: 0 } })
      const userId = `rfc-${algorithm}`
      // Seed the secret as a confirmed setup would have stored it.
      await app.mfa.collection<TotpSecretDocument>(totpCollections.secrets).insertOne({
        _id: userId,
        secret: app.mfa.crypto.encrypt(base32(Buffer.from(seeds[algorithm])), secretContext(userId)),
        secretRef: 'rfc',
        enabledAt: new Date(0)
      })
      const factor = app.mfa.factors.get('totp')!
      for (const [time, expected] of vectors.filter((v) => v[2] === algorithm)) {
        clock.ms = time * 1000
        t.same(await factor.verifyCode!(userId, expected, undefined as never), { ok: true, userId, amr: ['otp'], aal: 2 }, `${algorithm} at ${time}`)
      }
      await app.close()
    }
  })
})
