import t, { type Test } from 'tap'
import bcrypt from 'bcrypt'
import type { LoginUser } from '../src/index.js'

// password.ts with a bcrypt that records the hash of every comparison.
async function passwordCheck (t: Test, cost: number) {
  const compared: string[] = []
  const counting = { ...bcrypt, compare: async (data: string, hash: string) => { compared.push(hash); return await bcrypt.compare(data, hash) } }
  const { createPasswordCheck } = await t.mockImport<typeof import('../src/password.js')>('../src/password.js', { bcrypt: { default: counting } })
  return { compared, check: createPasswordCheck(cost) }
}

t.test('an unknown user costs one bcrypt comparison, at the configured cost', async (t) => {
  const { compared, check } = await passwordCheck(t, 6)
  const alice: LoginUser = { id: 'alice', passwordHash: await bcrypt.hash('right password', 6) }
  t.equal(await check.matches(alice, 'wrong password', check.verifyBcrypt), false)
  t.match(compared, [/^\$2[aby]\$06\$/], 'a wrong password: one comparison with the stored hash')
  compared.length = 0
  t.equal(await check.matches(null, 'wrong password', check.verifyBcrypt), false)
  t.match(compared, [/^\$2[aby]\$06\$/], 'an unknown user: one comparison with a dummy hash of the configured cost')
  t.notOk(compared.includes(alice.passwordHash as string))
})

t.test('regression: the dummy cost does not follow the hashes it sees (they could be the attacker\'s choice)', async (t) => {
  const { compared, check } = await passwordCheck(t, 5)
  await check.matches({ id: 'cheap', passwordHash: await bcrypt.hash('pw', 4) }, 'wrong', check.verifyBcrypt)
  compared.length = 0
  await check.matches(null, 'wrong', check.verifyBcrypt)
  t.match(compared, [/^\$2[aby]\$05\$/], 'still the configured cost after a cheaper hash was seen')
})

t.test('a known user is checked by the given verifier only', async (t) => {
  const { compared, check } = await passwordCheck(t, 4)
  const verified: string[] = []
  t.equal(await check.matches({ id: 'bob' }, 'pw', async (u: LoginUser) => { verified.push(u.id); return true }), true)
  t.same(verified, ['bob'])
  t.same(compared, [], 'no dummy comparison on top of the host check')
})

t.test('a user without a password hash costs one bcrypt comparison too, and never matches', async (t) => {
  const { compared, check } = await passwordCheck(t, 5)
  t.equal(await check.matches({ id: 'passkey-only' }, 'any password', check.verifyBcrypt), false)
  t.match(compared, [/^\$2[aby]\$05\$/], 'one comparison with a dummy hash, like an unknown user')
})
