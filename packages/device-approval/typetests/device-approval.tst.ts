import fastify from 'fastify'
import mfaDeviceApproval, { mfaDeviceApproval as named, type ApprovalView, type DeviceApprovalOptions } from '@fastify-mfa/device-approval'
import { describe, expect, test } from 'tstyche'

const app = fastify()

describe('DeviceApprovalOptions', () => {
  test('every option the README documents is accepted, and none is required', () => {
    expect(app.register(mfaDeviceApproval, {
      approverWithin: 30 * 86_400,
      requestTtl: 120,
      waitSeconds: 25,
      pollInterval: 1000,
      heartbeatSeconds: 15,
      maxRequests: 3,
      requestWindow: 600,
      maxDenials: 3,
      lockSeconds: 900,
      prefix: '/account/mfa'
    })).type.not.toRaiseError()
    expect(app.register(mfaDeviceApproval, {})).type.not.toRaiseError()
  })

  test('wrong types and unknown options are refused', () => {
    expect<DeviceApprovalOptions>().type.not.toBeAssignableFrom({ waitSeconds: '25' })
    expect(app.register(mfaDeviceApproval, { maxRequest: 3 })).type.toRaiseError()
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaDeviceApproval)
  })
})

describe('what an approving device sees', () => {
  test('a request view never has the number', () => {
    expect<ApprovalView>().type.not.toHaveProperty('number')
    expect<ApprovalView['purpose']>().type.toBe<'login' | 'step-up'>()
  })
})

describe('device-approval events', () => {
  test('their details are typed, and never carry the number', () => {
    app.mfa.on('device-approval.denied', (event) => { expect(event.details.reason).type.toBe<'denied' | 'wrong_number'>() })
    app.mfa.on('device-approval.locked', (event) => { expect(event.details.seconds).type.toBe<number>() })
    app.mfa.on('device-approval.requested', (event) => { expect(event.details).type.not.toHaveProperty('number') })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('device-approval.aproved', () => {})).type.toRaiseError()
  })
})
