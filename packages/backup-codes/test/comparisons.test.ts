import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { FastifyInstance } from 'fastify'
import { createBackupCodes } from '../src/backupCodes.js'
import { bcryptHashing, type BackupCodeHashing } from '../src/hashing.js'
import { resolveOptions } from '../src/options.js'
import { freshUser, regenerate, setup } from './helpers.js'

// A second service over the plugin's collections, with bcrypt wrapped in a counter (hashes and
// comparisons stay real). The factor's verifyCode is this service's verify().
function countingService (app: FastifyInstance, count = 10) {
  const compared: string[] = []
  const hashing: BackupCodeHashing = {
    hash: bcryptHashing.hash,
    compare: async (code, hash) => { compared.push(hash); return await bcryptHashing.compare(code, hash) }
  }
  const options = resolveOptions({ cost: 4, count }, app)
  return { service: createBackupCodes(app.mfa, options, hashing), compared }
}

t.test('one bcrypt comparison per attempt, however many codes are stored', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app } = await setup(t, store)
    const { service, compared } = countingService(app, 20)
    const codes = await service.regenerate('u1')
    const hints = new Set(codes.map((c) => c.slice(0, 2)))
    const unusedHint = [...'0123456789abcdefghjkmnpqrstvwxyz'].flatMap((a) => [...'0123'].map((b) => a + b)).find((h) => !hints.has(h))!
    const sameHintWrong = codes[5]!.slice(0, -1) + (codes[5]!.endsWith('a') ? 'b' : 'a')
    const attempts: Array<[string, boolean]> = [
      [codes[0]!, true],
      [codes[0]!, false], // spent
      [sameHintWrong, false],
      [`${unusedHint}zz-zzzz-zzzz`, false],
      [codes[19]!.toUpperCase(), true]
    ]
    for (const [code, ok] of attempts) {
      compared.length = 0
      t.equal((await service.verify('u1', code)).ok, ok, code)
      t.equal(compared.length, 1, 'exactly one comparison')
    }
  })
})

t.test('malformed and over-long input never reaches bcrypt', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const { service, compared } = countingService(app)
    const [code] = await regenerate(await freshUser(app, clock)) as [string]
    compared.length = 0
    for (const input of ['', 'not a code', code + '-x', code + ' '.repeat(64), 'a'.repeat(1_000_000)]) {
      t.same(await service.verify('u1', input), { ok: false, reason: 'invalid' })
    }
    t.equal(compared.length, 0)
    t.ok((await service.verify('u1', code)).ok, 'the code still works')
    t.equal(compared.length, 1)
  })
})

// A regeneration swaps the set, then deletes the old codes. A check whose bcrypt comparison spans
// either step must refuse the old code as invalid: the set re-check after consume() closes the first
// window; the second (the code already deleted) is not a replay either.
const regenerationSteps = {
  'swapped the set': async (app: FastifyInstance) => {
    await app.mfa.collection<{ _id: string, setId: string }>('backup_code_sets').updateOne({ _id: 'u1' }, { $set: { setId: 'newer' } })
  },
  finished: async (app: FastifyInstance) => { await app.mfa.backupCodes!.regenerate('u1') }
}

for (const [step, run] of Object.entries(regenerationSteps)) {
  t.test(`regression: a code checked while a regeneration ${step} is invalid`, async (t) => {
    await eachStore(t, async (t, store) => {
      const { app } = await setup(t, store)
      let during: (() => Promise<unknown>) | null = null
      const hashing: BackupCodeHashing = {
        hash: bcryptHashing.hash,
        compare: async (code, hash) => {
          const ok = await bcryptHashing.compare(code, hash)
          await during?.()
          return ok
        }
      }
      const service = createBackupCodes(app.mfa, resolveOptions({ cost: 4 }, app), hashing)
      const old = await service.regenerate('u1')
      during = async () => { during = null; await run(app) }
      t.same(await service.verify('u1', old[0]!), { ok: false, reason: 'invalid' })
      t.equal(during, null, 'the regeneration step happened mid-check')
    })
  })
}
