import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import { buildSentCodesApp, EMAILS, otherThan, PHONE } from './helpers.js'
import { startSmtp } from './smtp.js'

t.test('email: setup mails a code to the host\'s address, confirm with it enables email-otp', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, signInPassword, signInFresh, events, raw } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    const res = await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], 'no-store')
    t.match(res.json(), { sentTo: 'a•••@example.test', expiresAt: String, resendAfter: String })
    t.equal(new Date(res.json().expiresAt).getTime(), app.mfa.now() + 600_000, 'valid 10 minutes')
    const [mail] = await smtp.mailsTo(EMAILS.u1!)
    t.match(mail, { subject: 'Confirm your address', from: { text: /no-reply@example\.test/ } })
    t.match(mail!.html, /<p>Your code is \d{6}<\/p>/, 'an HTML part')
    t.same((await user.inject({ url: '/mfa' })).json().emailOtp, { enabled: false, sentTo: null }, 'not active before confirm')

    const code = await smtp.codeFor(EMAILS.u1!)
    const confirm = await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code: `${code.slice(0, 3)} ${code.slice(3)}` } })
    t.equal(confirm.statusCode, 200)
    t.same(confirm.json(), { enabled: true })
    t.same((await user.inject({ url: '/mfa' })).json().emailOtp, { enabled: true, sentTo: 'a•••@example.test' })
    t.same(await app.mfa.factors.enrolled('u1'), ['email-otp'])
    t.match(events.map((e) => e.type), ['email-otp.sent', 'email-otp.enabled', 'factor.added'])
    const stored = JSON.stringify([...await raw('sent_code_factors'), ...await raw('sent_codes'), ...await raw('events')])
    t.notOk(stored.includes(EMAILS.u1!), 'the address is stored only encrypted')
    t.notOk(stored.includes(code), 'the code is in no stored document')
    await signInFresh() // the user has a factor now: changes need a fresh one
    const again = await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code } })
    t.match(again.json(), { statusCode: 400, code: 'FST_MFA_SETUP_EXPIRED' }, 'the setup code is spent')
  })
})

t.test('sms: setup texts a code to the given number; confirm enables sms-otp; the number is stored encrypted', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, signInPassword, sms, smsCode, raw } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    const res = await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().sentTo, '+•• ••• ••• 71')
    t.equal(sms.length, 1)
    t.match(sms[0], { to: PHONE, text: /^\d{6} is your verification code\. It expires in 10 minutes\./ })
    const confirm = await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: smsCode() } })
    t.same(confirm.json(), { enabled: true })
    t.same((await user.inject({ url: '/mfa' })).json().smsOtp, { enabled: true, sentTo: '+•• ••• ••• 71' })
    t.same(await app.mfa.factors.enrolled('u1'), ['sms-otp'])
    const [doc] = await raw('sent_code_factors')
    t.match(doc, { userId: 'u1', method: 'sms-otp', address: { v: 1, kid: 'test', ct: String } })
    t.notOk(JSON.stringify(await raw('sent_code_factors')).includes('4155552671'), 'no plaintext number')
  })
})

t.test('invalid input: no address for the user, an invalid phone number, unknown fields', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, signInPassword, sms } = await buildSentCodesApp(t, store, smtp)
    await signInPassword('u9')
    t.match((await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })).json(), { statusCode: 400, code: 'FST_MFA_NO_ADDRESS' })
    for (const phone of ['+1415555', '4155552671', '+999123456789', '+1 415 555 2671', '+44 20']) {
      const res = await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone } })
      t.equal(res.statusCode, 400, phone)
      t.equal(res.json().code, 'FST_MFA_INVALID_PHONE', phone)
    }
    t.match((await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: 14155552671 } })).json(), { code: 'FST_ERR_VALIDATION' })
    t.equal((await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: { to: 'eve@evil.test' } })).statusCode, 400, 'the address is the host\'s, never the client\'s')
    t.equal(sms.length, 0)
    t.equal(smtp.mails.length, 0)
  })
})

t.test('confirm: a wrong code is refused with attemptsLeft; after maxAttempts the setup is spent', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, signInPassword, smsCode } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    const right = smsCode()
    for (let left = 4; left >= 0; left--) {
      const res = await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: otherThan(right) } })
      t.match(res.json(), { statusCode: 401, code: 'FST_MFA_INVALID_CODE', attemptsLeft: left })
    }
    const late = await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: right } })
    t.match(late.json(), { statusCode: 400, code: 'FST_MFA_SETUP_EXPIRED' }, 'the right code no longer works: 6 digits allow no more guesses')
    t.equal(await app.mfa.factors.get('sms-otp')!.isEnrolled('u1'), false)
  })
})

t.test('setup expires after codeTtl', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, clock, signInPassword } = await buildSentCodesApp(t, store, smtp, { options: { codeTtl: 120 } })
    await signInPassword()
    await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })
    const code = await smtp.codeFor(EMAILS.u1!)
    clock.advance(121)
    await signInPassword()
    const res = await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code } })
    t.match(res.json(), { statusCode: 400, code: 'FST_MFA_SETUP_EXPIRED' })
    t.equal(await app.mfa.factors.get('email-otp')!.isEnrolled('u1'), false)
  })
})

t.test('a setup code confirms only in the sign-in that asked for it', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, app, signInPassword, smsCode, nowSec } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    const other = agent(app)
    await other.signIn({ userId: 'u1', aal: 1, amr: ['pwd'], authTime: nowSec() })
    const res = await other.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: smsCode() } })
    t.match(res.json(), { statusCode: 400, code: 'FST_MFA_SETUP_EXPIRED' })
    t.equal((await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: smsCode() } })).statusCode, 200)
  })
})

t.test('confirm returns backup codes on the first factor; a setup code is no login code', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const recoveryCodes = { issueIfNone: async () => ['aaaa-bbbb'], remove: async () => {} }
    const { user, signInPassword, smsCode, factor } = await buildSentCodesApp(t, store, smtp, { recoveryCodes })
    await signInPassword()
    await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    const code = smsCode()
    t.same((await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code } })).json(), { enabled: true, backupCodes: ['aaaa-bbbb'] })
    t.match(await factor('sms-otp').verifyCode!('u1', code, undefined as never, { purpose: 'login', binding: 'p1' }), { ok: false })
  })
})
