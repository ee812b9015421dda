import { execFileSync } from 'node:child_process'
import t from 'tap'
import { agent, buildTestApp, eachStore } from '@fastify-mfa/testing'
import mfaCore from '@fastify-mfa/core'
import mfaTotp from '@fastify-mfa/totp'
import mfaBackupCodes from '@fastify-mfa/backup-codes'

const oathtool = (secret: string, atMs: number) =>
  execFileSync('oathtool', ['--totp', '-b', '--now', new Date(atMs).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim()

await eachStore(t, async (t, store) => {
  t.test('regression: backup codes do not outlive the last primary factor; the next enrolment issues a new set', async (t) => {
    const start = Date.now()
    const clock = { ms: start, now: () => clock.ms, advance: (s: number) => { clock.ms += s * 1000 } }
    const app = await buildTestApp(t, { core: mfaCore, store, clock, plugins: [[mfaBackupCodes as never], [mfaTotp as never, { issuer: 'Test' }]] })
    const user = agent(app)
    const fresh = async () => {
      const now = Math.floor(clock.ms / 1000)
      await user.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: now, mfaTime: now })
    }
    const enrol = async () => {
      const setup = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
      clock.advance(30)
      const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: oathtool(setup.secret, clock.ms) } })
      t.equal(confirm.statusCode, 200, confirm.body)
      return confirm.json().backupCodes as string[] | undefined
    }
    await user.signIn({ userId: 'u1', aal: 1, amr: ['pwd'], authTime: Math.floor(clock.ms / 1000) })
    const first = await enrol()
    t.equal(first?.length, 10)
    await fresh()
    t.equal((await user.inject({ method: 'DELETE', url: '/mfa/totp' })).statusCode, 204)
    t.same((await user.inject({ url: '/mfa' })).json().backupCodes, { remaining: 0 }, 'the codes went with the last factor')
    t.same(await app.mfa.factors.get('backup-code')!.verifyCode!('u1', first![0]!, undefined as never), { ok: false, reason: 'not_enrolled' })
    clock.advance(60)
    const second = await enrol()
    t.equal(second?.length, 10, 'enrolling again issues a new set')
    for (const old of first!) t.notOk(second!.includes(old))
    t.match(await app.mfa.factors.get('backup-code')!.verifyCode!('u1', first![1]!, undefined as never), { ok: false }, 'an old code does not work again')
    t.match(await app.mfa.factors.get('backup-code')!.verifyCode!('u1', second![0]!, undefined as never), { ok: true })
  })
})
