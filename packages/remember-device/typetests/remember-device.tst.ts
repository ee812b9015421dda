import fastify from 'fastify'
import mfaRememberDevice, { mfaRememberDevice as named, type RememberDeviceOptions } from '@fastify-mfa/remember-device'
import type { RememberDeviceApi } from '@fastify-mfa/core'
import { describe, expect, test } from 'tstyche'

const app = fastify()

describe('RememberDeviceOptions', () => {
  test('every option is optional', () => {
    expect(app.register(mfaRememberDevice, {})).type.not.toRaiseError()
    expect(app.register(mfaRememberDevice, { cookieName: 'device', maxAge: 86_400, secure: 'auto', prefix: '/account/mfa', collection: 'devices' })).type.not.toRaiseError()
  })

  test('secure is \'auto\' or a boolean; maxAge is a number of seconds', () => {
    expect<RememberDeviceOptions['secure']>().type.toBe<'auto' | boolean | undefined>()
    expect<RememberDeviceOptions>().type.not.toBeAssignableFrom({ secure: 'always' })
    expect<RememberDeviceOptions>().type.not.toBeAssignableFrom({ maxAge: '30d' })
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaRememberDevice)
  })
})

describe('fastify.mfa.devices', () => {
  test('is core\'s RememberDeviceApi, optional', () => {
    expect(app.mfa.devices).type.toBe<RememberDeviceApi | undefined>()
    expect(app.mfa.devices!.revokeAll('u1')).type.toBe<Promise<number>>()
  })
})

describe('device events', () => {
  test('their details are typed', () => {
    app.mfa.on('device.remembered', (event) => { expect(event.details).type.toBe<{ deviceId: string, label: string }>() })
    app.mfa.on('device.revoked', (event) => { expect(event.details.reason).type.toBe<'replaced' | 'user' | 'all'>() })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('device.remember', () => {})).type.toRaiseError('\'"device.remember"\' is not assignable')
  })
})
