import fastify, { type FastifyRequest } from 'fastify'
import type { MfaApi, RequestMfa, RequireOptions } from '@fastify-mfa/core'
import type { MfaSessionState } from '@fastify-mfa/core/plugin-kit'
import { describe, expect, test } from 'tstyche'

// What importing @fastify-mfa/core adds to Fastify's types (its `declare module 'fastify'`).
const app = fastify()
declare const request: FastifyRequest

describe('fastify.mfa', () => {
  test('is the MfaApi', () => {
    expect(app.mfa).type.toBe<MfaApi>()
  })

  test('its guards are preHandlers, and require() takes RequireOptions', () => {
    expect(app.get('/x', { preHandler: app.mfa.guards.signedIn }, async () => 'ok')).type.not.toRaiseError()
    expect(app.get('/x', { preHandler: app.mfa.require({ aal: 3, maxAge: 300, methods: ['webauthn'] }) }, async () => 'ok')).type.not.toRaiseError()
    expect(app.mfa.require({ aal: 4 })).type.toRaiseError(2322)
    expect(app.mfa.require({ maxAge: '5m' })).type.toRaiseError(2322)
  })
})

describe('request.mfa', () => {
  test('is the read-only RequestMfa', () => {
    expect(request.mfa).type.toBe<RequestMfa>()
    expect(() => { request.mfa = {} as RequestMfa }).type.toRaiseError('read-only')
  })

  test('says "signed in", the user and the pending login a host reads', () => {
    expect(request.mfa.signedIn).type.toBe<boolean>()
    expect(request.mfa.userId).type.toBe<string | null>()
    expect(request.mfa.aal).type.toBe<0 | 1 | 2 | 3>()
    expect(request.mfa.pending).type.toBe<{ expiresAt: number, methods: string[] } | null>()
    expect(request.mfa.isFresh).type.toBeCallableWith(300, { aal: 3, methods: ['webauthn'] })
    expect(request.mfa.isFresh).type.not.toBeCallableWith({ aal: 3 })
  })

  test('the session keeps MfaSessionState under `mfa`', () => {
    expect(request.session.mfa).type.toBe<MfaSessionState | undefined>()
  })
})

describe('config: { mfa } route option', () => {
  test('takes RequireOptions', () => {
    expect<NonNullable<typeof request.routeOptions.config.mfa>>().type.toBe<RequireOptions>()
    expect(app.get('/admin', { config: { mfa: { aal: 3, maxAge: 300, allowEnrollOnly: false } } }, async () => 'ok')).type.not.toRaiseError()
    expect(app.get('/admin', { config: { mfa: { aal: 0 } } }, async () => 'ok')).type.toRaiseError()
    expect(app.get('/admin', { config: { mfa: { methods: 'webauthn' } } }, async () => 'ok')).type.toRaiseError()
  })
})
