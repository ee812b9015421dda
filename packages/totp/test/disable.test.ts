import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildTotpApp } from './helpers.js'

t.test('DELETE /mfa/totp needs a fresh second factor', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, clock, signInPassword, signInFresh, enable } = await buildTotpApp(t, store)
    await signInPassword()
    await enable()
    const stamp = await app.mfa.users.securityStamp('u1')

    const passwordOnly = await user.inject({ method: 'DELETE', url: '/mfa/totp' })
    t.equal(passwordOnly.statusCode, 403)
    t.match(passwordOnly.json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['totp'] })

    await signInFresh()
    clock.advance(app.mfa.options.freshAge + 1)
    const stale = await user.inject({ method: 'DELETE', url: '/mfa/totp' })
    t.equal(stale.statusCode, 403, 'a second factor older than freshAge')
    t.equal(stale.json().code, 'FST_MFA_STEP_UP_REQUIRED')

    await user.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'rmd'], authTime: Math.floor(clock.ms / 1000) })
    t.equal((await user.inject({ method: 'DELETE', url: '/mfa/totp' })).statusCode, 403, 'a remembered device is never fresh')

    t.equal(await app.mfa.factors.get('totp')!.isEnrolled('u1'), true, 'still enabled')
    t.equal(await app.mfa.users.securityStamp('u1'), stamp, 'stamp unchanged')
  })
})

t.test('with a fresh factor DELETE removes the secret, bumps the stamp and emits totp.disabled', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, clock, signInPassword, signInFresh, enable, codeFor, raw, events } = await buildTotpApp(t, store)
    await signInPassword()
    const secret = await enable()
    const stamp = await app.mfa.users.securityStamp('u1')
    await signInFresh()
    const res = await user.inject({ method: 'DELETE', url: '/mfa/totp' })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.not(await app.mfa.users.securityStamp('u1'), stamp, 'remembered devices stop working')
    t.match(events.find((e) => e.type === 'totp.disabled'), { userId: 'u1', method: 'totp' })
    t.match(events.find((e) => e.type === 'security_stamp.changed'), { details: { reason: 'totp.disabled' } })
    t.equal((await user.inject({ url: '/mfa' })).json().totp, false)
    t.same(await raw('totp'), [])
    t.same(await raw('totp_steps'), [])
    clock.advance(30)
    t.same(await app.mfa.factors.get('totp')!.verifyCode!('u1', await codeFor(secret), undefined as never), { ok: false, reason: 'not_enrolled' })
    const again = await user.inject({ method: 'DELETE', url: '/mfa/totp' })
    t.equal(again.statusCode, 400)
    t.equal(again.json().code, 'FST_MFA_NOT_ENROLLED')
  })
})

t.test('factor.remove (admin reset) removes everything of the user', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, raw, signInPassword, enable } = await buildTotpApp(t, store)
    await signInPassword('u1')
    await enable()
    await signInPassword('u2')
    await enable()
    await app.mfa.factors.get('totp')!.remove('u1')
    t.same((await raw('totp')).map((d) => d._id), ['u2'])
    t.same(await app.mfa.factors.get('totp')!.enrolledUserIds(), ['u2'])
    t.notOk((await raw('totp_steps')).some((d) => d.userId === 'u1'))
  })
})
