import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { FactorResult } from '@fastify-mfa/core'
import mfaWebAuthn, { mfaWebAuthn as named, type CredentialView, type WebAuthnApi, type WebAuthnOptions } from '../src/index.js'

// Compile-time checks of the public types (`tsc --noEmit` runs over test/).

const minimal: WebAuthnOptions = { rpID: 'example.org', rpName: 'Example', origins: 'https://example.org' }
const full: WebAuthnOptions = {
  ...minimal,
  origins: ['https://example.org', 'https://app.example.org'],
  attestationType: 'direct',
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

async function decorations (app: FastifyInstance): Promise<void> {
  const api: WebAuthnApi | undefined = app.mfa.webauthn
  const list: CredentialView[] = await api!.list('u1')
  const result: FactorResult = await api!.verifyAuthentication(null, {}, { purpose: 'passkey', binding: 'b', request: {} as never })
  void list
  void result
}

t.test('public types', async (t) => {
  t.equal(mfaWebAuthn, named, 'exported as default and by name')
  t.ok(minimal && full && noRpId && badAttestation && decorations)
})
