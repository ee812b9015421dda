import fastify, { type FastifyReply } from 'fastify'
import mfaLogin, { mfaLogin as named, type AdminApi, type LoginAnswer, type LoginApi, type LoginUser, type MfaLoginOptions } from '@fastify-mfa/mfa-login'
import { describe, expect, test } from 'tstyche'

const app = fastify()
const users = {
  findUserByLogin: async (login: string): Promise<LoginUser | null> => ({ id: login, passwordHash: '$2b$10$…' }),
  getUser: async (id: string): Promise<LoginUser | null> => ({ id, roles: ['admin'] })
}

describe('MfaLoginOptions', () => {
  test('the options the README documents are accepted', () => {
    expect(app.register(mfaLogin, {
      ...users,
      verifyPassword: async (user, password) => user.passwordHash === password,
      getRoles: (user) => user.roles ?? [],
      mode: 'required',
      gracePeriod: 7,
      policyStart: new Date('2030-01-01'),
      roles: { admin: { methods: ['webauthn'], amr: ['hwk'] } },
      pendingTtl: 300,
      maxAttempts: 5,
      lockout: { threshold: 5, durations: [60, 300], maxConsecutive: 100 },
      passwordBrake: { threshold: 10, window: 900, knownDeviceThreshold: 5, secure: 'auto' },
      rateLimit: false,
      bcryptCost: 12,
      prefix: '/auth',
      onSignedIn: async (request, _reply, signIn) => { request.log.info({ userId: signIn.userId, aal: signIn.aal, amr: signIn.amr }) },
      passwordRoute: false
    })).type.not.toRaiseError()
  })

  test('findUserByLogin and getUser are required', () => {
    expect(app.register(mfaLogin, { getUser: users.getUser })).type.toRaiseError("Property 'findUserByLogin' is missing")
    expect(app.register(mfaLogin, { findUserByLogin: users.findUserByLogin })).type.toRaiseError("Property 'getUser' is missing")
  })

  test('wrong types are refused', () => {
    expect<MfaLoginOptions['mode']>().type.toBe<'optional' | 'required' | undefined>()
    expect<MfaLoginOptions>().type.not.toBeAssignableFrom({ ...users, mode: 'always' })
    expect<MfaLoginOptions>().type.not.toBeAssignableFrom({ ...users, roles: { admin: { methods: 'webauthn' } } })
    expect<MfaLoginOptions>().type.not.toBeAssignableFrom({ ...users, passwordBrake: true })
  })

  test('onSignedIn gets the sign-in that completed', () => {
    expect<Parameters<NonNullable<MfaLoginOptions['onSignedIn']>>[2]>().type.toBe<{ userId: string, aal: number, amr: string[] }>()
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaLogin)
  })
})

describe('fastify.mfa.login and fastify.mfa.admin', () => {
  test('are always there once the package is imported', () => {
    expect(app.mfa.login).type.toBe<LoginApi>()
    expect(app.mfa.admin).type.toBe<AdminApi>()
  })

  test('begin() returns the reply it sent', () => {
    app.post('/login', async (request, reply) => {
      expect(app.mfa.login.begin(request, reply, 'u1')).type.toBe<Promise<FastifyReply>>()
      expect(app.mfa.login.begin).type.not.toBeCallableWith(request, 'u1')
    })
  })

  test('admin.reset() needs an actor and a reason', () => {
    expect(app.mfa.admin.reset).type.toBeCallableWith('u1', { actor: 'support:7', reason: 'lost phone' })
    expect(app.mfa.admin.reset).type.not.toBeCallableWith('u1', { actor: 'support:7' })
  })

  test('a login answer is complete, or a pending login with its mfaToken', () => {
    expect<Extract<LoginAnswer, { step: 'mfa' }>>().type.toBe<{ step: 'mfa', mfaToken: string, methods: string[], expiresAt: string }>()
    expect<LoginAnswer['step']>().type.toBe<'complete' | 'mfa'>()
  })
})

describe('login events', () => {
  test('their details are typed', () => {
    app.mfa.on('login.success', (event) => { expect(event.details).type.toBe<{ aal: number, amr: string[] }>() })
    app.mfa.on('login.password_failed', (event) => { expect(event.details.knownUser).type.toBe<boolean>() })
    app.mfa.on('logout', (event) => { expect(event.type).type.toBe<'logout'>() })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('loginsuccess', () => {})).type.toRaiseError('\'"loginsuccess"\' is not assignable')
  })
})
