import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { defaultCodeMail, type CodeMessageInput } from '../src/index.js'
import { buildSentCodesApp, EMAILS, PHONE } from './helpers.js'
import { startSmtp } from './smtp.js'

const login = { purpose: 'login', binding: 'pending-1' } as const

/** Every string in a log line (numbers such as times are left out: a code could match one by chance). */
function stringsOf (value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value !== 'object' || value === null) return []
  return Object.values(value).flatMap(stringsOf)
}

t.test('a mail server refusing the recipient: 502, and the code that was made does not work', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const made: string[] = []
    const code = (input: CodeMessageInput) => { made.push(input.code); return defaultCodeMail(input) }
    const { user, signInPassword, send, factor, events, raw } = await buildSentCodesApp(t, store, smtp, {
      options: { email: { transport: smtp.url, from: 'no-reply@example.test', getEmail: (id) => EMAILS[id] ?? null, templates: { code } } }
    })
    await signInPassword()
    smtp.refuse.add(EMAILS.u1!)
    const setup = await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })
    t.match(setup.json(), { statusCode: 502, code: 'FST_MFA_DELIVERY_FAILED', message: 'The code could not be sent; try again later' })
    const confirm = await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code: made[0] } })
    t.match(confirm.json(), { statusCode: 400, code: 'FST_MFA_SETUP_EXPIRED' }, 'the undelivered setup code confirms nothing')
    t.same(await raw('sent_codes'), [], 'no code is left behind')
    t.ok(events.some((e) => e.type === 'email-otp.delivery_failed' && e.details.failure === 'EENVELOPE'))

    smtp.refuse.delete(EMAILS.u1!)
    t.equal((await user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })).statusCode, 200, 'a retry need not wait 30 s')
    t.equal((await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code: made[1] } })).statusCode, 200)

    smtp.refuse.add(EMAILS.u1!)
    await t.rejects(send('email-otp', login), { statusCode: 502, code: 'FST_MFA_DELIVERY_FAILED' })
    t.same(await factor('email-otp').verifyCode!('u1', made[2]!, undefined as never, login), { ok: false, reason: 'expired' })
  })
})

t.test('an SMS provider that fails: 502, the code does not work, and its error (quoting the text) is not logged', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const texts: string[] = []
    let fail = false
    const logLines: string[] = []
    const smsSend = async ({ text }: { to: string, text: string }) => {
      texts.push(text)
      if (fail) throw new Error(`provider refused message "${text}"`)
    }
    const { user, signInPassword, send, factor } = await buildSentCodesApp(t, store, smtp, { logLines, options: { sms: { send: smsSend } } })
    await signInPassword()
    await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    await user.inject({ method: 'POST', url: '/mfa/sms-otp/confirm', payload: { code: texts[0]!.slice(0, 6) } })
    fail = true
    await t.rejects(send('sms-otp', login), { statusCode: 502, code: 'FST_MFA_DELIVERY_FAILED' })
    const code = texts[1]!.slice(0, 6)
    t.same(await factor('sms-otp').verifyCode!('u1', code, undefined as never, login), { ok: false, reason: 'expired' })
    fail = false
    t.match(await send('sms-otp', login), { sentTo: '+•• ••• ••• 71' }, 'sent again at once')
    const logged = logLines.flatMap((line) => stringsOf(JSON.parse(line)))
    t.ok(logged.some((s) => s === 'fastify-mfa: a code could not be delivered'), 'the failure is logged')
    for (const text of texts) t.notOk(logged.some((s) => s.includes(text.slice(0, 6))), 'no code in any log line')
  })
})

t.test('the code never reaches a log line or an event, on any path', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const logLines: string[] = []
    const { user, signInPassword, enrolSms, enrolEmail, signInFresh, send, factor, sms, events, clock } = await buildSentCodesApp(t, store, smtp, { logLines })
    await signInPassword()
    await enrolSms()
    await signInFresh()
    await enrolEmail()
    await send('sms-otp', login)
    await send('email-otp', login)
    const emailCode = await smtp.codeFor(EMAILS.u1!, 2)
    const verify = async (method: 'sms-otp' | 'email-otp', c: string) => await factor(method).verifyCode!('u1', c, undefined as never, login)
    await verify('sms-otp', '000000')
    await verify('sms-otp', sms[sms.length - 1]!.text.slice(0, 6))
    await verify('sms-otp', sms[sms.length - 1]!.text.slice(0, 6))
    await verify('email-otp', emailCode)
    clock.advance(1)
    await user.inject({ method: 'POST', url: '/mfa/email-otp/confirm', payload: { code: emailCode } })
    const codes = [...sms.map((m) => m.text.slice(0, 6)), emailCode, ...(await smtp.codeMailsTo(EMAILS.u1!)).map((m) => /\d{6}/.exec(m.text ?? '')![0])]
    t.ok(logLines.length > 10, 'the app logged at trace level')
    const logged = logLines.flatMap((line) => stringsOf(JSON.parse(line))).join('\n')
    const evented = JSON.stringify(events)
    for (const code of codes) {
      t.notOk(logged.includes(code), 'not in the logs')
      t.notOk(evented.includes(code), 'not in the events')
    }
    t.ok(events.some((e) => e.type === 'sms-otp.sent' && e.details.sentTo === '+•• ••• ••• 71'), 'events carry only the masked address')
    t.notOk(evented.includes(PHONE) || evented.includes(EMAILS.u1!), 'nor the full address')
  })
})
