import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildSentCodesApp, EMAILS, otherThan, PHONE } from './helpers.js'
import { startSmtp } from './smtp.js'

const noRequest = undefined as never
const login = { purpose: 'login', binding: 'pending-1' } as const

t.test('send + verifyCode (email): the right code works once, for its login only', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { app, signInPassword, enrolEmail, send, factor, events } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolEmail()
    const sent = await send('email-otp', login)
    t.same(sent, { sentTo: 'a•••@example.test', expiresAt: new Date(app.mfa.now() + 600_000), resendAfter: new Date(app.mfa.now() + 30_000) })
    const [, mail] = await smtp.codeMailsTo(EMAILS.u1!, 2)
    t.equal(mail!.subject, 'Your sign-in code')
    const code = await smtp.codeFor(EMAILS.u1!, 2)
    const verify = async (c: string, ctx: { purpose: 'login' | 'step-up', binding: string } | null = login) =>
      await factor('email-otp').verifyCode!('u1', c, noRequest, ctx ?? undefined)
    t.same(await verify(code, { purpose: 'login', binding: 'pending-2' }), { ok: false, reason: 'expired' }, 'another login\'s binding')
    t.same(await verify(code, { purpose: 'step-up', binding: 'pending-1' }), { ok: false, reason: 'expired' }, 'same binding, other purpose')
    t.same(await verify(code, null), { ok: false, reason: 'invalid' }, 'no context: a sent code is only for its login')
    t.same(await verify(code), { ok: true, userId: 'u1', amr: ['otp'], aal: 2 })
    t.same(await verify(code), { ok: false, reason: 'expired' }, 'used twice')
    t.same(await factor('email-otp').verifyCode!('u2', code, noRequest, login), { ok: false, reason: 'not_enrolled' }, 'another user')
    t.notOk(JSON.stringify(events).includes(code), 'the code is in no event')
  })
})

t.test('sms-otp adds amr sms (RFC 8176); a code for a step-up works for that step-up', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { signInPassword, enrolSms, send, factor, smsCode, sms } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolSms()
    const stepUp = { purpose: 'step-up', binding: 's:abc' } as const
    t.equal((await send('sms-otp', stepUp)).sentTo, '+•• ••• ••• 71')
    t.equal(sms[sms.length - 1]!.to, PHONE, 'sent to the enrolled number')
    t.same(await factor('sms-otp').verifyCode!('u1', smsCode(), noRequest, stepUp), { ok: true, userId: 'u1', amr: ['otp', 'sms'], aal: 2 })
    t.equal(factor('sms-otp').amr, 'sms')
  })
})

t.test('a resend replaces the code: the old one is refused, the new one works', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { clock, signInPassword, enrolSms, send, factor, smsCode } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolSms()
    await send('sms-otp', login)
    const first = smsCode()
    clock.advance(30)
    await send('sms-otp', login)
    const second = smsCode()
    const verify = async (c: string) => await factor('sms-otp').verifyCode!('u1', c, noRequest, login)
    if (first !== second) t.same(await verify(first), { ok: false, reason: 'invalid' }, 'the old code')
    t.same(await verify(second), { ok: true, userId: 'u1', amr: ['otp', 'sms'], aal: 2 })
  })
})

t.test('a code expires after codeTtl', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { clock, signInPassword, enrolSms, send, factor, smsCode } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolSms()
    await send('sms-otp', login)
    clock.advance(601)
    t.same(await factor('sms-otp').verifyCode!('u1', smsCode(), noRequest, login), { ok: false, reason: 'expired' })
  })
})

t.test('a code allows maxAttempts checks, then it is spent (even the right code is refused)', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { signInPassword, enrolSms, send, factor, smsCode } = await buildSentCodesApp(t, store, smtp, { options: { maxAttempts: 3 } })
    await signInPassword()
    await enrolSms()
    await send('sms-otp', login)
    const verify = async (c: string) => await factor('sms-otp').verifyCode!('u1', c, noRequest, login)
    for (let i = 0; i < 3; i++) t.same(await verify(otherThan(smsCode())), { ok: false, reason: 'invalid' })
    t.same(await verify(smsCode()), { ok: false, reason: 'expired' })
  })
})

t.test('concurrent checks of the same code: exactly one is ok', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { signInPassword, enrolSms, send, factor, smsCode, events } = await buildSentCodesApp(t, store, smtp, { options: { maxAttempts: 10 } })
    await signInPassword()
    await enrolSms()
    await send('sms-otp', login)
    const code = smsCode()
    const results = await Promise.all(Array.from({ length: 10 }, async () => await factor('sms-otp').verifyCode!('u1', code, noRequest, login)))
    t.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results))
    t.ok(results.every((r) => r.ok || ['replay', 'expired'].includes(r.reason)))
    t.notOk(JSON.stringify(events).includes(code))
  })
})

t.test('send for a user without the factor is 400 FST_MFA_NOT_ENROLLED; nothing is sent', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { send, sms } = await buildSentCodesApp(t, store, smtp)
    await t.rejects(send('sms-otp', login), { statusCode: 400, code: 'FST_MFA_NOT_ENROLLED' })
    await t.rejects(send('email-otp', login), { code: 'FST_MFA_NOT_ENROLLED' })
    t.equal(sms.length, 0)
    t.equal(smtp.mails.length, 0)
  })
})
