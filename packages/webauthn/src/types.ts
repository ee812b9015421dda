import type {} from '@fastify/session'
import type { CeremonyContext, FactorResult } from '@fastify-mfa/core'
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import type { FastifyRequest } from 'fastify'
import type { CredentialView } from './credentials.js'
import type { CredentialDocument } from './store.js'

export interface RegistrationResult {
  credential: CredentialView
  /** Shown once; present when this was the user's first factor and they had no backup codes. */
  backupCodes?: string[]
}

/** `fastify.mfa.webauthn`: the ceremonies, for mfa-login and for hosts with their own flows. */
export interface WebAuthnApi {
  /** Request options for a second factor or step-up (`userId` set) or a passkey sign-in (`userId` null). */
  authenticationOptions(userId: string | null, ceremony: CeremonyContext): Promise<PublicKeyCredentialRequestOptionsJSON>
  /** Verifies an assertion against the challenge issued for `ceremony`; spends the challenge. */
  verifyAuthentication(userId: string | null, response: unknown, ceremony: CeremonyContext): Promise<FactorResult>
  /** Creation options; the challenge is bound to `binding` (the management routes use the session id). */
  registrationOptions(request: FastifyRequest, userId: string, binding: string, name?: string): Promise<PublicKeyCredentialCreationOptionsJSON>
  /**
   * Verifies a registration response and stores the credential; emits `webauthn.registered`. When it
   * is the user's first factor, backup codes are issued (if @fastify-mfa/backup-codes is registered).
   */
  register(request: FastifyRequest, userId: string, binding: string, response: unknown, name?: string): Promise<RegistrationResult>
  /** The user's credentials, oldest first. */
  list(userId: string): Promise<CredentialView[]>
  /** Removes one credential; bumps the security stamp and emits `webauthn.removed`. False when the user has no such credential. */
  remove(request: FastifyRequest, userId: string, credentialId: string): Promise<boolean>
}

export type { CredentialDocument, CredentialView }

declare module '@fastify-mfa/core' {
  interface MfaApi {
    /** Present when @fastify-mfa/webauthn is registered. */
    webauthn?: WebAuthnApi
  }
}
