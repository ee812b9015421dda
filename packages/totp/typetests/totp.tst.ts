import fastify from 'fastify'
import mfaTotp, { mfaTotp as named, type TotpOptions } from '@fastify-mfa/totp'
import { describe, expect, test } from 'tstyche'

const app = fastify()

describe('TotpOptions', () => {
  test('the options the README documents are accepted', () => {
    expect(app.register(mfaTotp, {
      issuer: 'Acme',
      algorithm: 'SHA256',
      digits: 8,
      period: 60,
      window: 2,
      setupTtl: 300,
      accountName: async (request) => request.mfa.userId ?? 'unknown',
      prefix: '/account/mfa'
    })).type.not.toRaiseError()
  })

  test('issuer is required; the rest is optional', () => {
    expect<TotpOptions>().type.toBeAssignableFrom({ issuer: 'Acme' })
    expect(app.register(mfaTotp, { digits: 6 })).type.toRaiseError("Property 'issuer' is missing")
  })

  test('digits, algorithm and accountName take only what resolveOptions accepts', () => {
    expect<TotpOptions['digits']>().type.toBe<6 | 8 | undefined>()
    expect<TotpOptions['algorithm']>().type.toBe<'SHA1' | 'SHA256' | 'SHA512' | undefined>()
    expect<TotpOptions>().type.not.toBeAssignableFrom({ issuer: 'Acme', digits: 7 })
    expect<TotpOptions>().type.not.toBeAssignableFrom({ issuer: 'Acme', algorithm: 'sha1' })
    expect<TotpOptions>().type.not.toBeAssignableFrom({ issuer: 'Acme', accountName: 'user@example.org' })
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaTotp)
  })
})

describe('TOTP events', () => {
  test('their details are typed once the package is imported', () => {
    app.mfa.on('totp.enabled', (event) => { expect(event.details).type.toBe<{ replaced: boolean }>() })
    app.mfa.on('totp.setup_started', (event) => { expect(event.details.expiresAt).type.toBe<Date>() })
    expect(app.mfa.emit('totp.enabled', { userId: 'u1', details: { replaced: 'yes' } })).type.toRaiseError(2322)
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('totp.enable', () => {})).type.toRaiseError('\'"totp.enable"\' is not assignable')
  })
})
