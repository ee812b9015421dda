import fastify from 'fastify'
import mfaWebAuthn, { mfaWebAuthn as named, type CredentialView, type UnknownCredentialSignal, type WebAuthnApi, type WebAuthnOptions, type WebAuthnSignals } from '@fastify-mfa/webauthn'
import type { FactorResult } from '@fastify-mfa/core/plugin-kit'
import { describe, expect, test } from 'tstyche'

const app = fastify()
const minimal = { rpID: 'example.org', rpName: 'Example', origins: 'https://example.org' }

describe('WebAuthnOptions', () => {
  test('the options the README documents are accepted', () => {
    expect(app.register(mfaWebAuthn, {
      ...minimal,
      origins: ['https://example.org', 'https://app.example.org'],
      relatedOrigins: ['https://example.co.uk'],
      attestationType: 'direct',
      aaguids: { allow: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'], deny: [] },
      authenticatorNames: { 'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'Company key' },
      syncedPasskeyAal: 3,
      autoUpgrade: false,
      autoUpgradeWindow: 120,
      residentKey: 'required',
      userVerification: 'required',
      timeout: 120_000,
      challengeTtl: 120,
      prefix: '/account/mfa',
      userName: async (request, userId) => `${userId}@${request.hostname}`,
      userDisplayName: (_request, userId) => userId,
      collections: { credentials: 'keys', challenges: 'key_challenges' }
    })).type.not.toRaiseError()
  })

  test('rpID, rpName and origins are required', () => {
    expect<WebAuthnOptions>().type.toBeAssignableFrom(minimal)
    expect(app.register(mfaWebAuthn, { rpName: 'Example', origins: 'https://example.org' })).type.toRaiseError("Property 'rpID' is missing")
    expect(app.register(mfaWebAuthn, { rpID: 'example.org', rpName: 'Example' })).type.toRaiseError("Property 'origins' is missing")
  })

  test('the fixed sets are checked', () => {
    expect<WebAuthnOptions['attestationType']>().type.toBe<'none' | 'direct' | 'enterprise' | undefined>()
    expect<WebAuthnOptions['syncedPasskeyAal']>().type.toBe<2 | 3 | undefined>()
    expect<WebAuthnOptions>().type.not.toBeAssignableFrom({ ...minimal, attestationType: 'indirect' })
    expect<WebAuthnOptions>().type.not.toBeAssignableFrom({ ...minimal, residentKey: 'always' })
  })

  test('exported as default and by name', () => {
    expect(named).type.toBe(mfaWebAuthn)
  })
})

describe('fastify.mfa.webauthn', () => {
  test('is the WebAuthnApi, optional', () => {
    expect(app.mfa.webauthn).type.toBe<WebAuthnApi | undefined>()
  })

  test('the ceremonies a host with its own flows calls', () => {
    const api = app.mfa.webauthn!
    expect(api.list('u1')).type.toBe<Promise<CredentialView[]>>()
    expect(api.verifyAuthentication(null, {}, { purpose: 'passkey', binding: 'b', request: {} as never })).type.toBe<Promise<FactorResult>>()
    expect(api.verifyAuthentication).type.not.toBeCallableWith(null, {}, { purpose: 'sign-in', binding: 'b', request: {} as never })
    expect(api.unknownCredentialSignal({})).type.toBe<Promise<UnknownCredentialSignal | null>>()
    expect(api.signals({} as never, 'u1')).type.toBe<Promise<WebAuthnSignals>>()
    expect<WebAuthnSignals['allAcceptedCredentials']['allAcceptedCredentialIds']>().type.toBe<string[]>()
  })

  test('a credential view says what the user sees of a key', () => {
    expect<CredentialView['authenticatorName']>().type.toBe<string | null>()
    expect<CredentialView['backupEligible']>().type.toBe<boolean>()
    expect<CredentialView>().type.not.toHaveProperty('publicKey')
  })
})

describe('WebAuthn events', () => {
  test('their details are typed', () => {
    app.mfa.on('webauthn.clone_suspected', (event) => {
      expect(event.details).type.toBe<{ credentialId: string, storedCounter: number, receivedCounter: number, purpose: string }>()
    })
    app.mfa.on('webauthn.removed', (event) => { expect(event.details.credentialId).type.toBe<string>() })
  })

  test('a misspelled event does not compile', () => {
    expect(app.mfa.on('webauthn.register', () => {})).type.toRaiseError('\'"webauthn.register"\' is not assignable')
  })
})
