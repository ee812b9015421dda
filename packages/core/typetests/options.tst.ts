import fastify from 'fastify'
import type { Db } from 'mongodb'
import mfaCore, { mfaCore as named, createMemoryStore, type MfaCoreOptions } from '@fastify-mfa/core'
import { describe, expect, test } from 'tstyche'

// The host's view: the options of `app.register(mfaCore, …)`, imported by package name from the built types.
const app = fastify()
const keys = [{ id: 'k1', key: Buffer.alloc(32) }]

describe('MfaCoreOptions', () => {
  test('store and encryptionKeys are required, everything else is optional', () => {
    expect<Pick<MfaCoreOptions, 'store' | 'encryptionKeys'>>().type.toBe<Required<Pick<MfaCoreOptions, 'store' | 'encryptionKeys'>>>()
    expect<Omit<MfaCoreOptions, 'store' | 'encryptionKeys'>>().type.toBe<Partial<Omit<MfaCoreOptions, 'store' | 'encryptionKeys'>>>()
  })

  test('store is a MongoDB Db, \'memory\' or a store instance', () => {
    expect<MfaCoreOptions['store']>().type.toBeAssignableFrom<Db>()
    expect<MfaCoreOptions['store']>().type.toBeAssignableFrom(createMemoryStore())
    expect<MfaCoreOptions['store']>().type.not.toBeAssignableFrom<'mongodb'>()
    expect<MfaCoreOptions['store']>().type.not.toBeAssignableFrom<string>()
  })

  test('register() checks the options', () => {
    expect(app.register(mfaCore, { store: 'memory', encryptionKeys: keys, freshAge: 300, origins: ['https://example.org'] })).type.not.toRaiseError()
    expect(app.register(mfaCore, { store: 'memory' })).type.toRaiseError("Property 'encryptionKeys' is missing")
    expect(app.register(mfaCore, { store: 'memory', encryptionKeys: keys, freshAge: '300' })).type.toRaiseError("Type 'string' is not assignable to type 'number'")
    expect(app.register(mfaCore, { store: 'memory', encryptionKeys: keys, disabledNotifications: 'new_sign_in' })).type.toRaiseError("Type 'string' is not assignable to type 'string[]'")
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaCore)
  })
})
