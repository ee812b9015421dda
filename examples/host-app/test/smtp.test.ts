// The app against a real SMTP server (smtp-server, the receiving side) that nodemailer talks to over
// TCP, the mails parsed by mailparser as a mail client would: SMTP_URL as a deployment sets it.
import { createServer } from 'node:net'
import t from 'tap'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import { eachStore } from '@fastify-mfa/testing'
import { ADMIN, PASSWORD, addKey, signInWithKey, signUp, startApp, user } from './helpers.js'

const FROM = 'Example Host App <no-reply@example.test>'

interface Received { envelopeTo: string[], mail: ParsedMail }

/** An SMTP server on a free loopback port that keeps every mail it accepts. */
async function startSmtp (t: { teardown(fn: () => unknown): void }): Promise<{ url: string, received: Received[] }> {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'], // plain SMTP on loopback: nodemailer would otherwise upgrade
    logger: false,
    onData (stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail })
        callback()
      }, callback)
    }
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()) })
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()) }))
  const { port } = server.server.address() as { port: number }
  return { url: `smtp://127.0.0.1:${port}`, received }
}

/** Waits (up to 10 s) for a mail to `to` whose subject matches; returns it. */
async function mailTo (received: Received[], to: string, subject: RegExp, after = 0): Promise<ParsedMail> {
  for (let i = 0; i < 500; i++) {
    const hit = received.slice(after).find((r) => r.envelopeTo.includes(to) && subject.test(r.mail.subject ?? ''))
    if (hit) return hit.mail
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no mail to ${to} matching ${subject}; got: ${received.map((r) => r.mail.subject).join(', ')}`)
}
/** A loopback port that was free a moment ago and is closed now. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const codeOf = (mail: ParsedMail): string => mail.text!.match(/\b(\d{6})\b/)![1]!

await eachStore(t, async (t, _store, kind) => {
  t.test('with SMTP_URL, mails reach a real SMTP server: sign-up verification, then an emailed sign-in code', async (t) => {
    const smtp = await startSmtp(t)
    const app = await startApp(t, kind, { SMTP_URL: smtp.url, MAIL_FROM: FROM })
    t.equal((await app.inject({ url: '/dev/mail.json' })).statusCode, 404, 'no development outbox when SMTP_URL is set')

    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    const verification = await mailTo(smtp.received, 'ada@example.com', /^Verify your email/)
    t.match(verification.from?.value, [{ name: 'Example Host App', address: 'no-reply@example.test' }], 'From is MAIL_FROM')
    t.equal(verification.to && !Array.isArray(verification.to) ? verification.to.text : null, 'ada@example.com')
    t.match(verification.html, codeOf(verification), 'an HTML part with the code')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match((await ada.post('/api/verify-email', { code: codeOf(verification) })).json(), { verified: true })

    t.equal((await ada.post('/mfa/email-otp/setup')).statusCode, 200)
    const enrol = await mailTo(smtp.received, 'ada@example.com', /Confirm your address/)
    t.match((await ada.post('/mfa/email-otp/confirm', { code: codeOf(enrol) })).json(), { enabled: true })
    await ada.post('/auth/logout')

    t.match((await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { step: 'mfa' })
    const before = smtp.received.length
    t.equal((await ada.post('/auth/login/send', { method: 'email-otp' })).statusCode, 200)
    const signIn = await mailTo(smtp.received, 'ada@example.com', /Your sign-in code/, before)
    t.match((await ada.post('/auth/login/verify', { method: 'email-otp', code: codeOf(signIn) })).json(), { step: 'complete', aal: 2 })

    // A browser the account has not used before: the owner gets a security notification.
    const other = user(app)
    await other.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    const mark = smtp.received.length
    await other.post('/auth/login/send', { method: 'email-otp' })
    const otherCode = codeOf(await mailTo(smtp.received, 'ada@example.com', /Your sign-in code/, mark))
    t.match((await other.post('/auth/login/verify', { method: 'email-otp', code: otherCode })).json(), { step: 'complete' })
    t.match((await mailTo(smtp.received, 'ada@example.com', /New sign-in/, mark)).text, /not been used from before|had not been used/, 'a new-browser sign-in is mailed')

    const taken = await user(app).post('/api/signup', { email: 'ada@example.com', password: 'someone else' })
    t.equal(taken.statusCode, 409)
    t.match((await mailTo(smtp.received, 'ada@example.com', /Someone tried to create/)).text, /no new account was made/, 'the owner hears of the taken-address sign-up')
  })

  t.test('with a real SMTP server: codes are single use and replaced by a resend, sends past the limit get 429, an address is admin only once verified, a support reset mails the reason', async (t) => {
    const clock = { skew: 0 }
    const smtp = await startSmtp(t)
    const app = await startApp(t, kind, { SMTP_URL: smtp.url, MAIL_FROM: FROM }, clock)
    const verify = async (who: ReturnType<typeof user>, email: string) => {
      const code = codeOf(await mailTo(smtp.received, email, /^Verify your email/))
      await who.post('/auth/login', { login: email, password: PASSWORD })
      return (await who.post('/api/verify-email', { code })).json()
    }

    // An ADMIN_EMAILS address is no admin until its owner proves it with the mailed code.
    const root = user(app)
    await signUp(root, ADMIN)
    await root.post('/auth/login', { login: ADMIN, password: PASSWORD })
    t.match((await root.post('/admin/users/reset-mfa', { email: 'ada@example.com', reason: 'x' })).json(), { code: 'APP_ADMIN_ONLY' }, 'not an admin before verification')
    t.match(await verify(root, ADMIN), { verified: true, signedOut: true })
    await root.post('/auth/login', { login: ADMIN, password: PASSWORD })
    const key = await addKey(root)
    await root.post('/auth/logout')
    await signInWithKey(root, ADMIN, key)

    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    await verify(ada, 'ada@example.com')
    await ada.post('/mfa/email-otp/setup')
    t.equal((await ada.post('/mfa/email-otp/confirm', { code: codeOf(await mailTo(smtp.received, 'ada@example.com', /Confirm your address/)) })).statusCode, 200)
    await ada.post('/auth/logout')

    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    let mark = smtp.received.length
    t.equal((await ada.post('/auth/login/send', { method: 'email-otp' })).statusCode, 200)
    const first = codeOf(await mailTo(smtp.received, 'ada@example.com', /Your sign-in code/, mark))
    const again = await ada.post('/auth/login/send', { method: 'email-otp' })
    t.equal(again.statusCode, 429, 'a second send at once')
    t.ok(again.json().retryAfter > 0 && Number(again.headers['retry-after']) > 0)
    clock.skew += 31_000
    mark = smtp.received.length
    t.equal((await ada.post('/auth/login/send', { method: 'email-otp' })).statusCode, 200, 'after resendAfter')
    const second = codeOf(await mailTo(smtp.received, 'ada@example.com', /Your sign-in code/, mark))
    t.equal((await ada.post('/auth/login/verify', { method: 'email-otp', code: first })).json().code, 'FST_MFA_INVALID_CODE', 'the code before the resend')
    t.match((await ada.post('/auth/login/verify', { method: 'email-otp', code: second })).json(), { step: 'complete' })
    const replay = user(app)
    await replay.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.equal((await replay.post('/auth/login/verify', { method: 'email-otp', code: second })).json().code, 'FST_MFA_INVALID_CODE', 'a code used once')

    mark = smtp.received.length
    t.equal((await root.post('/admin/users/reset-mfa', { email: 'ada@example.com', reason: 'lost phone, checked by video call' })).statusCode, 204)
    t.match((await mailTo(smtp.received, 'ada@example.com', /two-step verification was reset/, mark)).text, /lost phone, checked by video call/, 'the user is mailed the reason')
  })

  t.test('a mail server that cannot be reached: sign-up still creates the account; resend answers 502 APP_DELIVERY_FAILED', async (t) => {
    // A loopback port just freed: nothing listens there, so the connection is refused at once.
    const app = await startApp(t, kind, { SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` })
    const ada = user(app)
    const signup = await ada.post('/api/signup', { email: 'ada@example.com', password: PASSWORD })
    t.match(signup.json(), { verified: false, verificationSent: false })
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    t.match((await ada.post('/api/verify-email/resend')).json(), { statusCode: 502, code: 'APP_DELIVERY_FAILED' }, 'at once: the failed mail left no code to wait for')
  })
})
