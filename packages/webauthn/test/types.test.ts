import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { FactorResult } from '@fastify-mfa/core'
import mfaWebAuthn, { mfaWebAuthn as named, type CredentialView, type UnknownCredentialSignal, type WebAuthnApi, type WebAuthnOptions, type WebAuthnSignals } from '../src/index.js'

// Compile-time checks of the public types (`tsc --noEmit` runs over test/).

const minimal: WebAuthnOptions = { rpID: 'example.org', rpName: 'Example', origins: 'https://example.org' }
const full: WebAuthnOptions = {
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
}
// @ts-expect-error rpID is required
const noRpId: WebAuthnOptions = { rpName: 'Example', origins: 'https://example.org' }
// @ts-expect-error attestationType is a fixed set
const badAttestation: WebAuthnOptions = { ...minimal, attestationType: 'indirect' }
// @ts-expect-error a synced passkey is level 2 or 3
const badAal: WebAuthnOptions = { ...minimal, syncedPasskeyAal: 1 }

async function decorations (app: FastifyInstance): Promise<void> {
  const api: WebAuthnApi | undefined = app.mfa.webauthn
  const list: CredentialView[] = await api!.list('u1')
  const result: FactorResult = await api!.verifyAuthentication(null, {}, { purpose: 'passkey', binding: 'b', request: {} as never })
  const unknown: UnknownCredentialSignal | null = await api!.unknownCredentialSignal({})
  const signals: WebAuthnSignals = await api!.signals({} as never, 'u1')
  const ids: string[] = signals.allAcceptedCredentials.allAcceptedCredentialIds
  const model: string | null = list[0]!.authenticatorName
  const eligible: boolean = list[0]!.backupEligible
  void result
  void unknown
  void ids
  void model
  void eligible
}

t.test('public types', async (t) => {
  t.equal(mfaWebAuthn, named, 'exported as default and by name')
  t.ok(minimal && full && noRpId && badAttestation && badAal && decorations)
})
