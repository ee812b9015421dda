import fastify from 'fastify'
import type { FastifyErrorConstructor } from '@fastify/error'
import { claim, consume, errors, optionChecks, type FactorResult, type MfaCollection, type MfaFactor, type MfaStore, type StoredDocument } from '@fastify-mfa/core/plugin-kit'
import { describe, expect, test } from 'tstyche'

// `@fastify-mfa/core/plugin-kit`: what a factor plugin or a store backend is built with.
const app = fastify()

interface ClaimDocument extends StoredDocument { userId: string, expiresAt: Date }
declare const claims: MfaCollection<ClaimDocument>

const factor: MfaFactor = {
  id: 'push',
  amr: 'otp',
  kind: 'code',
  isEnrolled: async () => true,
  enrolledUserIds: async () => [],
  verifyCode: async (userId) => ({ ok: true, userId, amr: ['otp'], aal: 2 }),
  remove: async () => {}
}

describe('@fastify-mfa/core/plugin-kit', () => {
  test('is a subpath of its own: no plugin to register', () => {
    expect<typeof import('@fastify-mfa/core/plugin-kit')>().type.not.toHaveProperty('default')
    expect<typeof import('@fastify-mfa/core/plugin-kit')>().type.not.toHaveProperty('mfaCore')
  })

  test('a factor registers with fastify.mfa.factors', () => {
    expect(app.mfa.factors.register).type.toBeCallableWith(factor)
    expect(app.mfa.factors.register).type.not.toBeCallableWith({ ...factor, kind: 'push' })
    expect(app.mfa.factors.register).type.not.toBeCallableWith({ id: 'push', amr: 'otp', kind: 'code' })
  })

  test('a factor result is a success with the level it proves, or a refusal with a known reason', () => {
    expect<FactorResult>().type.toBeAssignableFrom({ ok: true as const, userId: 'u1', amr: ['hwk'], aal: 3 as const })
    expect<FactorResult>().type.not.toBeAssignableFrom({ ok: true as const, userId: 'u1', amr: ['pwd'], aal: 0 as const })
    expect<FactorResult>().type.not.toBeAssignableFrom({ ok: false as const, reason: 'wrong' })
  })

  test('claim and consume keep the collection\'s document type', () => {
    expect(claim(claims, { _id: 'c1:used', userId: 'u1', expiresAt: new Date() })).type.toBe<Promise<boolean>>()
    expect(claim(claims, { _id: 'c1:used' })).type.toRaiseError('missing the following properties from type \'ClaimDocument\': userId, expiresAt')
    expect(consume(claims, { userId: 'u1' })).type.toBe<Promise<ClaimDocument | null>>()
  })

  test('a third backend names its own store kind', () => {
    expect<MfaStore>().type.toBeAssignableFrom({ kind: 'redis', collection: <T extends StoredDocument>(name: string) => ({ name }) as unknown as MfaCollection<T> })
  })

  test('optionChecks: fail() never returns, wholeNumber() narrows', () => {
    const { fail, wholeNumber } = optionChecks('@fastify-mfa/push')
    expect(fail('option "x" is wrong')).type.toBe<never>()
    const value: unknown = 3
    if (wholeNumber(value, 1)) expect(value).type.toBe<number>()
  })

  test('the shared error codes are @fastify/error constructors with their code and status in the type', () => {
    expect(errors.FST_MFA_INVALID_CODE).type.toBe<FastifyErrorConstructor<{ code: 'FST_MFA_INVALID_CODE', statusCode: 401 }>>()
    expect(errors.FST_MFA_RATE_LIMITED).type.toBe<FastifyErrorConstructor<{ code: 'FST_MFA_RATE_LIMITED', statusCode: 429 }>>()
    expect(errors).type.not.toHaveProperty('FST_MFA_INVALID_CODEX')
  })
})
