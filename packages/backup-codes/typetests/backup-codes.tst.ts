import fastify from 'fastify'
import mfaBackupCodes, { mfaBackupCodes as named, type BackupCodes, type BackupCodesOptions, type BackupCodeStatus } from '@fastify-mfa/backup-codes'
import type { FactorResult } from '@fastify-mfa/core/plugin-kit'
import { describe, expect, test } from 'tstyche'

const app = fastify()

describe('BackupCodesOptions', () => {
  test('every option is optional', () => {
    expect(app.register(mfaBackupCodes, {})).type.not.toRaiseError()
    expect(app.register(mfaBackupCodes, { count: 12, cost: 12, lowThreshold: 3, prefix: '/account/mfa', collections: { codes: 'codes' } })).type.not.toRaiseError()
  })

  test('wrong types are refused', () => {
    expect<BackupCodesOptions>().type.not.toBeAssignableFrom({ count: '10' })
    expect<BackupCodesOptions>().type.not.toBeAssignableFrom({ collections: 'backup_codes' })
    expect<BackupCodesOptions>().type.not.toBeAssignableFrom({ collections: { codez: 'codes' } })
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaBackupCodes)
  })
})

describe('fastify.mfa.backupCodes', () => {
  test('is present once the package is imported, and optional (the plugin may not be registered)', () => {
    expect(app.mfa.backupCodes).type.toBe<BackupCodes | undefined>()
  })

  test('status, regenerate and verify', () => {
    const codes = app.mfa.backupCodes!
    expect(codes.status('u1')).type.toBe<Promise<BackupCodeStatus>>()
    expect<BackupCodeStatus>().type.toBe<{ remaining: number, createdAt: Date | null }>()
    expect(codes.regenerate('u1')).type.toBe<Promise<string[]>>()
    expect(codes.verify('u1', 'abcd-efgh')).type.toBe<Promise<FactorResult>>()
    expect(codes.verify).type.not.toBeCallableWith('u1')
  })
})

describe('backup-code events', () => {
  test('their details are typed', () => {
    app.mfa.on('backup_codes.used', (event) => { expect(event.details).type.toBe<{ remaining: number }>() })
    app.mfa.on('backup_codes.low', (event) => { expect(event.details.remaining).type.toBe<number>() })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('backup_code.used', () => {})).type.toRaiseError('\'"backup_code.used"\' is not assignable')
  })
})
