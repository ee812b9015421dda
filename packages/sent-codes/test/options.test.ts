import t from 'tap'
import type { SentCodesOptions } from '../src/index.js'
import { resolveOptions } from '../src/options.js'
import { buildSentCodesApp } from './helpers.js'
import { startSmtp } from './smtp.js'

const email = { transport: 'smtp://127.0.0.1:2525', from: 'no-reply@example.test', getEmail: () => null }
const sms = { send: async () => {} }

t.test('resolveOptions: defaults', async (t) => {
  t.match(resolveOptions({ sms }), {
    email: null,
    codeTtl: 600,
    maxAttempts: 5,
    notifications: false,
    appName: null,
    prefix: null,
    sendLimits: { interval: 30, perBinding: 5, perAccountPerHour: 10, perAddressPerHour: 10 }
  })
  t.equal(resolveOptions({ email }).notifications, true, 'notifications are on when email is configured')
})

t.test('resolveOptions: bad options fail at startup naming the package', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{}, /at least one channel/],
    [{ email: { ...email, transport: 'http://x' } }, /email\.transport/],
    [{ email: { ...email, transport: undefined } }, /email\.transport/],
    [{ email: { ...email, from: '' } }, /email\.from/],
    [{ email: { ...email, getEmail: 'x' } }, /email\.getEmail/],
    [{ email: { ...email, templates: { code: 'x' } } }, /email\.templates\.code/],
    [{ sms: { send: 'x' } }, /"sms"/],
    [{ sms, codeTtl: 10 }, /codeTtl/],
    [{ sms, maxAttempts: 0 }, /maxAttempts/],
    [{ sms, sendLimits: { interval: 0 } }, /sendLimits\.interval/],
    [{ sms, sendLimits: { perBinding: 1.5 } }, /sendLimits\.perBinding/],
    [{ sms, notifications: 'yes' }, /notifications/],
    [{ sms, prefix: 'mfa' }, /prefix/]
  ]
  for (const [options, message] of bad) {
    t.throws(() => resolveOptions(options as SentCodesOptions), { name: 'TypeError', message: /^@fastify-mfa\/sent-codes: / }, JSON.stringify(options))
    t.throws(() => resolveOptions(options as SentCodesOptions), { message }, JSON.stringify(options))
  }
})

t.test('each factor is registered only when its channel is configured', async (t) => {
  const smtp = await startSmtp(t)
  const smsOnly = await buildSentCodesApp(t, 'memory', smtp, { noEmail: true })
  t.same(smsOnly.app.mfa.factors.list().map((f) => f.id), ['sms-otp'])
  t.equal(smsOnly.app.mfa.mailer, undefined)
  t.equal((await smsOnly.user.inject({ method: 'POST', url: '/mfa/email-otp/setup', payload: {} })).statusCode, 404)
  const emailOnly = await buildSentCodesApp(t, 'memory', smtp, { noSms: true })
  t.same(emailOnly.app.mfa.factors.list().map((f) => f.id), ['email-otp'])
  t.match(emailOnly.app.mfa.factors.get('email-otp'), { kind: 'code', amr: 'otp' })
  t.type(emailOnly.app.mfa.mailer?.send, 'function')
})
