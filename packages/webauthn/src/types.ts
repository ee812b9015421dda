import type {} from '@fastify/session'
import type { CeremonyContext, FactorResult } from '@fastify-mfa/core/plugin-kit'
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import type { FastifyRequest } from 'fastify'
import type { CredentialView } from './credentials.js'
import type { WebAuthnSignals } from './signals.js'
import type { CredentialDocument } from './store.js'

export interface RegistrationResult {
  credential: CredentialView
  /** Shown once; present when this was the user's first factor and they had no backup codes. */
  backupCodes?: string[]
}

/** The Signal API's `unknownCredential` (`PublicKeyCredential.signalUnknownCredential`). */
export interface UnknownCredentialSignal {
  rpId: string
  credentialId: string
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
  /**
   * Whether the automatic passkey upgrade is open to the request's session now (`autoUpgrade` on, a
   * password and second-factor sign-in of `userId` within `autoUpgradeWindow`). No I/O.
   */
  autoUpgradeAvailable(request: FastifyRequest, userId: string): boolean
  /**
   * Creation options for the automatic passkey upgrade (conditional create: `startRegistration({
   * optionsJSON, useAutoRegister: true })`), bound to `binding`. 403 `FST_MFA_AUTO_UPGRADE_UNAVAILABLE`
   * when `autoUpgradeAvailable` is false.
   */
  autoUpgradeOptions(request: FastifyRequest, userId: string, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON>
  /**
   * Verifies the answer to `autoUpgradeOptions` (user presence may be absent, for that challenge only)
   * and stores the passkey, named after its authenticator; emits `webauthn.auto_registered` and
   * `factor.added`. The window is checked again.
   */
  autoRegister(request: FastifyRequest, userId: string, binding: string, response: unknown): Promise<RegistrationResult>
  /** The user's credentials, oldest first. */
  list(userId: string): Promise<CredentialView[]>
  /** Removes one credential; bumps the security stamp and emits `webauthn.removed`. False when the user has no such credential. */
  remove(request: FastifyRequest, userId: string, credentialId: string): Promise<boolean>
  /** Signal API data for the user's page (`GET /mfa/webauthn/signals`). */
  signals(request: FastifyRequest, userId: string): Promise<WebAuthnSignals>
  /**
   * For a refused passkey sign-in: `{ rpId, credentialId }` when the response's credential id is
   * registered to nobody, else null (also for another user's credential, which is never signalled).
   */
  unknownCredentialSignal(response: unknown): Promise<UnknownCredentialSignal | null>
}

export type { CredentialDocument, CredentialView, WebAuthnSignals }

declare module '@fastify-mfa/core' {
  interface MfaApi {
    /** Present when @fastify-mfa/webauthn is registered. */
    webauthn?: WebAuthnApi
  }
}

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'webauthn.registered': Record<string, unknown>
    'webauthn.auto_registered': Record<string, unknown>
    'webauthn.removed': { credentialId: string }
    'webauthn.clone_suspected': { credentialId: string, storedCounter: number, receivedCounter: number, purpose: string }
    'webauthn.authenticator_refused': { aaguid: string, purpose: string }
  }
}
