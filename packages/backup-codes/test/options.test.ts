import t from 'tap'
import { readFile } from 'node:fs/promises'
import { eachStore } from '@fastify-mfa/testing'
import { errors } from '../src/index.js'
import { setup, freshUser } from './helpers.js'

t.test('options are validated when the plugin starts', async (t) => {
  for (const [options, pattern] of [
    [{ count: 0 }, /"count"/], [{ count: 51 }, /"count"/], [{ count: 2.5 }, /"count"/],
    [{ cost: 3 }, /"cost"/], [{ cost: 32 }, /"cost"/],
    [{ lowThreshold: -1 }, /"lowThreshold"/], [{ count: 5, lowThreshold: 6 }, /"lowThreshold"/],
    [{ prefix: 'mfa' }, /"prefix"/],
    [{ collections: { codes: 'a b' } }, /"collections"/], [{ collections: { codes: 'x', sets: 'x' } }, /"collections"/],
    [{ collections: { retired: 'backup_codes' } }, /"collections"/], [{ collections: { retired: 7 } }, /"collections"/]
  ] as const) {
    await t.rejects(setup(t, 'memory', { options: options as object }), { name: 'TypeError', message: pattern }, JSON.stringify(options))
  }
})

t.test('prefix and collection names are configurable', async (t) => {
  await eachStore(t, async (t, store) => {
    const collections = { codes: 'rc', sets: 'rc_sets', retired: 'rc_retired' }
    const { app, clock } = await setup(t, store, { options: { prefix: '/account/recovery', collections } })
    const user = await freshUser(app, clock)
    for (let i = 0; i < 2; i++) {
      const res = await user.inject({ method: 'POST', url: '/account/recovery/backup-codes', payload: {} })
      t.equal(res.statusCode, 200)
    }
    t.equal(await app.mfa.collection('rc').countDocuments({}), 10)
    t.equal(await app.mfa.collection('rc_sets').countDocuments({}), 1)
    t.equal(await app.mfa.collection('rc_retired').countDocuments({}), 1, 'the first set was retired')
    for (const name of ['backup_codes', 'backup_code_sets', 'backup_code_sets_retired']) {
      t.equal(await app.mfa.collection(name).countDocuments({}), 0, `${name} unused`)
    }
  })
})

t.test('error codes are unique, equal their keys and are listed in the README', async (t) => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const codes = Object.entries(errors).map(([key, E]) => { t.equal(new E().code, key); return key })
  t.equal(new Set(codes).size, codes.length)
  for (const code of codes) t.ok(readme.includes(code), `${code} in README`)
})
