import fastify from 'fastify'
import mfaSentCodes, { mfaSentCodes as named, type Mailer, type SentCodesOptions } from '@fastify-mfa/sent-codes'
import { describe, expect, test } from 'tstyche'

const app = fastify()
const email = { transport: 'smtp://127.0.0.1:2525', from: 'no-reply@example.test', getEmail: async () => 'a@example.test' }
const sms = { send: async ({ to, text }: { to: string, text: string }) => { void to; void text } }

describe('SentCodesOptions', () => {
  test('the options the README documents are accepted', () => {
    expect(app.register(mfaSentCodes, {
      email: { transport: { host: 'smtp.example.test', port: 587 }, from: 'a@example.test', getEmail: () => null },
      sms: { ...sms, text: ({ code, expiresInMinutes }) => `${code} (${expiresInMinutes} min)` },
      codeTtl: 300,
      maxAttempts: 3,
      sendLimits: { interval: 60, perBinding: 3, perAccountPerHour: 5, perAddressPerHour: 5 },
      notifications: false,
      appName: 'Acme',
      prefix: '/account/mfa'
    })).type.not.toRaiseError()
  })

  test('a channel needs its required fields', () => {
    expect(app.register(mfaSentCodes, { sms: {} })).type.toRaiseError("Property 'send' is missing")
    expect(app.register(mfaSentCodes, { email: { transport: email.transport, from: email.from } })).type.toRaiseError("Property 'getEmail' is missing")
    expect<SentCodesOptions>().type.not.toBeAssignableFrom({ email: { ...email, transport: 42 } })
  })

  test('templates get the code and answer mail content', () => {
    expect<SentCodesOptions>().type.toBeAssignableFrom({ email: { ...email, templates: { code: ({ code }: { code: string }) => ({ subject: code, text: code, html: code }) } } })
    expect<SentCodesOptions>().type.not.toBeAssignableFrom({ email: { ...email, templates: { code: () => 'Your code' } } })
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaSentCodes)
  })
})

describe('fastify.mfa.mailer', () => {
  test('is present with `email` configured: the host\'s own mails', () => {
    expect(app.mfa.mailer).type.toBe<Mailer | undefined>()
    expect(app.mfa.mailer!.send).type.toBeCallableWith({ to: 'x@example.test', subject: 's', text: 't' })
    expect(app.mfa.mailer!.send).type.not.toBeCallableWith({ to: 'x@example.test', text: 't' })
  })
})

describe('sent-code events', () => {
  test('their details carry the masked address, never the code', () => {
    app.mfa.on('email-otp.sent', (event) => { expect(event.details).type.toBe<{ purpose: string, sentTo: string, expiresAt: Date }>() })
    app.mfa.on('sms-otp.confirm_refused', (event) => { expect(event.details.attemptsLeft).type.toBe<number>() })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('email_otp.sent', () => {})).type.toRaiseError('\'"email_otp.sent"\' is not assignable')
  })
})
