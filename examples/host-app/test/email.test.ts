import { Writable } from 'node:stream'
import t from 'tap'
import { eachStore, freshStore, until } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import nodemailer from 'nodemailer'
import { buildApp } from '../src/app.js'
import { createDevOutbox } from '../src/devOutbox.js'
import { loadConfig } from '../src/config.js'
import {
  ADMIN, PASSWORD, PORT, VERIFY_SUBJECT, addKey, mailedCode, outbox, signInWithKey, signUp, startApp, user, verifyEmail, type Clock
} from './helpers.js'

const FROM = 'Example Tests <tests@example.com>'
const LOGIN_SUBJECT = /Your sign-in code/
const ENROL_SUBJECT = /Confirm your address/

await eachStore(t, async (t, _store, kind) => {
  t.test('without SMTP_URL, mails go to the development outbox and the log says so without their content', async (t) => {
    const lines: string[] = []
    const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
    const store = await freshStore(t, kind)
    const app = await buildApp(loadConfig({ PORT, MAIL_FROM: FROM }), {
      store: store === 'memory' ? createMemoryStore() : createMongoStore(store), logger: { level: 'info', stream }
    })
    t.teardown(() => app.close())
    await app.ready()
    const ada = user(app)
    const signup = await ada.post('/api/signup', { email: 'Ada@Example.com', password: PASSWORD })
    t.match(signup.json(), { email: 'ada@example.com', verified: false, verificationSent: true })

    const [mail, ...others] = await outbox(app)
    t.equal(others.length, 0, 'one mail')
    t.same(mail!.to, ['ada@example.com'])
    t.equal(mail!.from, FROM, 'from MAIL_FROM')
    t.match(mail!.subject, VERIFY_SUBJECT)
    const code = mail!.text.match(/\b(\d{6})\b/)![1]!
    t.notMatch(mail!.subject, code, 'the code is not in the subject (lock screens show it)')
    t.match(mail!.html, code, 'an HTML part too')

    const page = await app.inject({ url: '/dev/mail' })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /^text\/html/)
    t.equal(page.headers['cache-control'], 'no-store')
    t.match(page.body, /Development outbox/)
    t.match(page.body, code, 'the page lists the mail')
    const html = await app.inject({ url: `/dev/mail/${mail!.id}.html` })
    t.equal(html.statusCode, 200)
    t.match(html.headers['content-security-policy'], /^sandbox; default-src 'none'/, "a mail's HTML is shown sandboxed")
    t.equal((await app.inject({ url: '/dev/mail/nope.html' })).statusCode, 404)
    t.same((await app.inject({ url: '/dev/sms.json' })).json(), [], 'no text messages yet')

    const log = lines.join('')
    t.match(log, /mail sent to the development outbox/, 'the log says a mail was sent')
    t.match(log, /account mail sent/)
    t.notMatch(log, code, 'the code is nowhere in the log')
    t.notMatch(log, /Verify your email/, 'nor the subject')
    t.match(log, /SMTP_URL is not set/, 'the start warns that mail stays in the outbox')
  })

  t.test('sign-up mails a code that verifies the address once', async (t) => {
    const app = await startApp(t, kind)
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    t.match((await ada.post('/api/verify-email', { code: '123456' })).json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' }, 'signed out: refused')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match((await ada.get('/settings/security')).body, /id="verify-email"/, 'the banner asks for the code')
    const code = await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT)
    const wrong = code === '000000' ? '111111' : '000000'
    t.match((await ada.post('/api/verify-email', { code: wrong })).json(), { statusCode: 400, code: 'APP_VERIFICATION_CODE_INVALID', attemptsLeft: 4 })
    t.equal((await ada.post('/api/verify-email', { code: 123456 })).statusCode, 400, 'a number is not a code')
    t.match((await ada.post('/api/verify-email', { code: `${code.slice(0, 3)} ${code.slice(3)}` })).json(), { verified: true, roles: [] }, 'spaces are ignored')
    t.notOk((await ada.post('/api/verify-email', { code })).json().verified, 'not twice')
    t.match((await ada.post('/api/verify-email', { code })).json(), { statusCode: 409, code: 'APP_ALREADY_VERIFIED' })
    t.notMatch((await ada.get('/settings/security')).body, /id="verify-email"/, 'no banner once verified')
    t.match((await ada.get('/auth/session')).json(), { userId: String }, 'a user who is no admin stays signed in')
    t.match((await ada.post('/api/verify-email/resend')).json(), { statusCode: 409, code: 'APP_ALREADY_VERIFIED' })
  })

  t.test('a code is spent after five wrong tries or when it expires; a resend waits 30 s and replaces it', async (t) => {
    const clock: Clock = { skew: 0 }
    const app = await startApp(t, kind, {}, clock)
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    const first = await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT)
    const wrong = first === '000000' ? '111111' : '000000'
    const tries = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => (await ada.post('/api/verify-email', { code: wrong })).json().code))
    t.equal(tries.filter((c) => c === 'APP_VERIFICATION_CODE_INVALID').length, 5, 'five tries, also when made at once')
    t.equal(tries.filter((c) => c === 'APP_VERIFICATION_EXPIRED').length, 1)
    t.match((await ada.post('/api/verify-email', { code: first })).json(), { code: 'APP_VERIFICATION_EXPIRED' }, 'then the right code is refused too')

    const tooSoon = await ada.post('/api/verify-email/resend')
    t.match(tooSoon.json(), { statusCode: 429, code: 'APP_VERIFICATION_RATE_LIMITED', retryAfter: Number })
    t.ok(Number(tooSoon.headers['retry-after']) > 0, 'with Retry-After')
    clock.skew += 31_000
    t.equal((await ada.post('/api/verify-email/resend')).statusCode, 204)
    const second = await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT)
    t.equal((await outbox(app)).filter((m) => VERIFY_SUBJECT.test(m.subject)).length, 2, 'a second mail')
    clock.skew += 31_000
    t.equal((await ada.post('/api/verify-email/resend')).statusCode, 204)
    const third = await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT)
    if (second !== third) t.match((await ada.post('/api/verify-email', { code: second })).json(), { code: 'APP_VERIFICATION_CODE_INVALID' }, 'the replaced code no longer works')
    clock.skew += 16 * 60_000
    t.match((await ada.post('/api/verify-email', { code: third })).json(), { code: 'APP_VERIFICATION_EXPIRED' }, 'after 15 minutes the code has expired')
    clock.skew += 31_000
    await ada.post('/api/verify-email/resend')
    t.match((await ada.post('/api/verify-email', { code: await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT) })).json(), { verified: true })
  })

  t.test('an ADMIN_EMAILS address is no admin before it is verified', async (t) => {
    const app = await startApp(t, kind)
    const bob = user(app)
    await signUp(bob, 'bob@example.com')
    await bob.post('/auth/login', { login: 'bob@example.com', password: PASSWORD })
    await addKey(bob)

    // Whoever signs up first with the admin's address, and even adds a key and signs in with it.
    const squatter = user(app)
    await signUp(squatter, ADMIN)
    await squatter.post('/auth/login', { login: ADMIN, password: PASSWORD })
    const key = await addKey(squatter)
    await squatter.post('/auth/logout')
    await signInWithKey(squatter, ADMIN, key)
    const page = await squatter.get('/admin')
    t.equal(page.statusCode, 403)
    t.match(page.body, /Only administrators can open this page/)
    const reset = async (who: typeof bob) => await who.post('/admin/users/reset-mfa', { email: 'bob@example.com', reason: 'ticket 1' })
    t.match((await reset(squatter)).json(), { statusCode: 403, code: 'APP_ADMIN_ONLY' }, 'POST /admin/users/reset-mfa is refused')
    t.ok(await app.mfa.factors.hasPrimary((await app.mfa.store.collection<{ _id: string, id: string }>('users').findOne({ _id: 'bob@example.com' }))!.id))
    t.match((await squatter.get('/auth/session')).json(), { requiredMethods: null }, 'no admin policy applies to it')

    // The owner of the address reads the mail: now it is an admin.
    const elsewhere = user(app)
    await signInWithKey(elsewhere, ADMIN, key)
    const verified = await squatter.post('/api/verify-email', { code: await mailedCode(app, ADMIN, VERIFY_SUBJECT) })
    t.match(verified.json(), { verified: true, roles: ['admin'], signedOut: true })
    t.equal((await squatter.get('/auth/session')).json().userId, null, 'the session that verified is signed out')
    t.equal((await elsewhere.get('/auth/session')).json().userId, null, 'and every other one of the user')
    const events = await app.mfa.events.recent((await app.mfa.store.collection<{ _id: string, id: string }>('users').findOne({ _id: ADMIN }))!.id, 20)
    t.ok(events.some((e) => e.type === 'security_stamp.changed' && e.details.reason === 'admin_role_granted'), 'audited')

    await signInWithKey(squatter, ADMIN, key)
    t.match((await squatter.get('/auth/session')).json(), { requiredMethods: ['webauthn'] }, 'the admin policy applies from the next sign-in')
    t.equal((await squatter.get('/admin')).statusCode, 200, 'the admin page opens')
    t.equal((await reset(squatter)).statusCode, 204, 'and the support reset works')
  })

  t.test('sign-up with a taken address answers 409 and mails the owner, at most once an hour', async (t) => {
    const clock: Clock = { skew: 0 }
    const app = await startApp(t, kind, {}, clock)
    await signUp(user(app), 'ada@example.com')
    const mallory = user(app)
    const taken = async () => await mallory.post('/api/signup', { email: 'ADA@example.com', password: 'another password' })
    const notices = async () => (await outbox(app)).filter((m) => /Someone tried to create/.test(m.subject))
    t.match((await taken()).json(), { statusCode: 409, code: 'APP_EMAIL_TAKEN' }, 'the answer is as before')
    const [notice] = await notices()
    t.same(notice!.to, ['ada@example.com'], 'the owner is told')
    t.match(notice!.text, /no new account was made/)
    t.equal((await taken()).statusCode, 409)
    t.equal((await notices()).length, 1, 'not twice within the hour')
    clock.skew += 3_600_000
    t.equal((await taken()).statusCode, 409)
    t.equal((await notices()).length, 2, 'again after an hour')
    t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: 'another password' })).json(), { code: 'FST_MFA_INVALID_CREDENTIALS' }, 'nothing changed')
  })

  t.test('email codes: enrol with a code sent to the verified address, sign in with an emailed code', async (t) => {
    const app = await startApp(t, kind)
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match((await ada.post('/mfa/email-otp/setup')).json(), { statusCode: 400, code: 'FST_MFA_NO_ADDRESS' }, 'not before the address is verified')
    await ada.post('/api/verify-email', { code: await mailedCode(app, 'ada@example.com', VERIFY_SUBJECT) })

    const setup = await ada.post('/mfa/email-otp/setup')
    t.match(setup.json(), { sentTo: 'a•••@example.com', expiresAt: String, resendAfter: String })
    const confirm = await ada.post('/mfa/email-otp/confirm', { code: await mailedCode(app, 'ada@example.com', ENROL_SUBJECT) })
    t.match(confirm.json(), { enabled: true, backupCodes: Array }, 'on, with backup codes (the first factor)')
    t.match((await ada.get('/mfa')).json(), { emailOtp: { enabled: true, sentTo: 'a•••@example.com' } })
    await ada.post('/auth/logout')

    const login = await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match(login.json(), { step: 'mfa' })
    t.ok(login.json().methods.includes('email-otp'), 'email codes are offered')
    const sent = await ada.post('/auth/login/send', { method: 'email-otp' })
    t.match(sent.json(), { sentTo: 'a•••@example.com' })
    t.ok(Date.parse(sent.json().resendAfter) > Date.now(), 'resendAfter is ahead')
    t.match((await ada.post('/auth/login/send', { method: 'email-otp' })).json(), { statusCode: 429, code: 'FST_MFA_RATE_LIMITED', retryAfter: Number }, 'no second send at once')
    const code = await mailedCode(app, 'ada@example.com', LOGIN_SUBJECT)
    const verified = await ada.post('/auth/login/verify', { method: 'email-otp', code })
    t.match(verified.json(), { step: 'complete', aal: 2 })
    t.match((await ada.get('/auth/session')).json(), { amr: ['pwd', 'otp', 'mfa'] })

    // Another browser signs in: the owner is mailed about it.
    const other = user(app)
    await other.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    await other.post('/auth/login/send', { method: 'email-otp' })
    t.match((await other.post('/auth/login/verify', { method: 'email-otp', code })).json(), { code: 'FST_MFA_INVALID_CODE' }, 'a used code does not sign in again')
    t.match((await other.post('/auth/login/verify', { method: 'email-otp', code: await mailedCode(app, 'ada@example.com', LOGIN_SUBJECT) })).json(), { step: 'complete' })
    await until(async () => (await outbox(app)).some((m) => /New sign-in/.test(m.subject)))
    const notice = (await outbox(app)).find((m) => /New sign-in/.test(m.subject))
    t.same(notice?.to, ['ada@example.com'], 'a new-browser sign-in mails the user')

    t.equal((await ada.del('/mfa/email-otp')).statusCode, 204, 'turned off (the sign-in code is fresh)')
    t.match((await ada.get('/mfa')).json(), { emailOtp: { enabled: false } })
  })

  t.test('text message codes go to the development SMS outbox', async (t) => {
    const app = await startApp(t, kind)
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match((await ada.get('/settings/security')).body, /id="sms-otp"/, 'the settings page has the card')
    t.match((await ada.post('/mfa/sms-otp/setup', { phone: '12345' })).json(), { code: 'FST_MFA_INVALID_PHONE' })
    t.match((await ada.post('/mfa/sms-otp/setup', { phone: '+14155550123' })).json(), { sentTo: '+•• ••• ••• 23' })
    const texts = async () => (await app.inject({ url: '/dev/sms.json' })).json() as Array<{ to: string, text: string }>
    const [text] = await texts()
    t.equal(text!.to, '+14155550123')
    t.match((await ada.post('/mfa/sms-otp/confirm', { code: text!.text.match(/\b(\d{6})\b/)![1] })).json(), { enabled: true })
    t.match((await app.inject({ url: '/dev/mail' })).body, /\+14155550123/, 'the outbox page lists text messages too')
    await ada.post('/auth/logout')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    await ada.post('/auth/login/send', { method: 'sms-otp' })
    const [latest] = await texts()
    t.match((await ada.post('/auth/login/verify', { method: 'sms-otp', code: latest!.text.match(/\b(\d{6})\b/)![1] })).json(), { step: 'complete' })
    t.match((await ada.get('/auth/session')).json(), { amr: ['pwd', 'otp', 'sms', 'mfa'] })
  })

  t.test('the verification banner and the email card on an enrol-only page', async (t) => {
    const app = await startApp(t, kind, { MFA_MODE: 'required', MFA_GRACE_DAYS: '0' })
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    t.match((await verifyEmail(ada, app, 'ada@example.com')), { verified: true }, 'an enrol-only session can verify its address')
    const page = (await ada.get('/settings/security')).body
    t.match(page, /id="email-otp"/, 'and may turn on email codes')
  })
})

t.test('in production, mail goes only to SMTP_URL: there is no outbox', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), /SMTP_URL must be set when NODE_ENV is production/, 'no start without SMTP_URL')
  // Nothing listens on port 9 (discard): the test must not send a mail, and does not.
  const app = await startApp(t, 'memory', { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9' })
  for (const url of ['/dev/mail', '/dev/mail.json', '/dev/sms.json']) t.equal((await app.inject({ url })).statusCode, 404, url)
  t.equal(app.mfa.factors.get('sms-otp'), undefined, 'no text messages without a provider')
  t.ok(app.mfa.factors.get('email-otp'), 'email codes are there')
})

t.test('SMTP_URL and MAIL_FROM are read from the environment', async (t) => {
  t.match(loadConfig({}), { smtpUrl: null, devOutbox: true, mailFrom: 'Example Host App <no-reply@example.com>' })
  t.match(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465', MAIL_FROM: FROM }), { smtpUrl: 'smtps://u:p@mail.example.com:465', devOutbox: false, mailFrom: FROM })
  t.throws(() => loadConfig({ SMTP_URL: 'http://mail.example.com' }), /SMTP_URL/)
  t.notOk(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:25' }).warnings.some((w) => /outbox/.test(w)))
})

t.test('the development outbox is a nodemailer transport that keeps the newest 100 mails', async (t) => {
  const logged: unknown[] = []
  const log = { info: (obj: unknown) => { logged.push(obj) } } as unknown as Parameters<typeof createDevOutbox>[0]
  const outbox = createDevOutbox(log)
  const mailer = nodemailer.createTransport(outbox.transport)
  for (let n = 1; n <= 101; n++) {
    await mailer.sendMail({ from: FROM, to: [`u${n}@example.com`, 'cc@example.com'], subject: `Mail ${n}`, text: Buffer.from(`body ${n}`), html: `<p>${n}</p>` })
  }
  const mails = outbox.mails()
  t.equal(mails.length, 100, 'at most 100')
  t.match(mails[0], { subject: 'Mail 101', to: ['u101@example.com', 'cc@example.com'], from: FROM, text: 'body 101', html: '<p>101</p>' }, 'newest first, a Buffer body read as text')
  t.equal(mails[99]!.subject, 'Mail 2', 'the oldest is dropped')
  t.equal(logged.length, 101)
  t.notMatch(JSON.stringify(logged), /Mail 1|body/, 'the log has neither subject nor body')
})
