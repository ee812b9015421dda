import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildSentCodesApp } from './helpers.js'
import { startSmtp } from './smtp.js'

t.test('DELETE needs a fresh second factor, then removes the factor and changes the security stamp', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, clock, signInPassword, signInFresh, enrolSms, events } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolSms()
    clock.advance(600)
    await signInPassword()
    const stale = await user.inject({ method: 'DELETE', url: '/mfa/sms-otp' })
    t.match(stale.json(), { statusCode: 403, code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['sms-otp'] })
    t.equal(await app.mfa.factors.get('sms-otp')!.isEnrolled('u1'), true)
    const stamp = await app.mfa.users.securityStamp('u1')
    await signInFresh()
    t.equal((await user.inject({ method: 'DELETE', url: '/mfa/sms-otp' })).statusCode, 204)
    t.equal(await app.mfa.factors.get('sms-otp')!.isEnrolled('u1'), false)
    t.not(await app.mfa.users.securityStamp('u1'), stamp)
    t.ok(events.some((e) => e.type === 'factor.removed' && e.method === 'sms-otp'))
    t.match((await user.inject({ method: 'DELETE', url: '/mfa/sms-otp' })).json(), { statusCode: 400, code: 'FST_MFA_NOT_ENROLLED' })
    t.same((await user.inject({ url: '/mfa' })).json().smsOtp, { enabled: false, sentTo: null })
  })
})

t.test('routes need a signed-in session', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user } = await buildSentCodesApp(t, store, smtp)
    for (const [method, url, payload] of [['POST', '/mfa/email-otp/setup', {}], ['POST', '/mfa/sms-otp/confirm', { code: '123456' }], ['DELETE', '/mfa/email-otp', undefined]] as const) {
      const res = await user.inject({ method, url, ...(payload ? { payload } : {}) })
      t.match(res.json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' }, `${method} ${url}`)
    }
  })
})
