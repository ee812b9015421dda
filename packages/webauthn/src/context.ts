import type { MfaApi } from '@fastify-mfa/core'
import type { ChallengeStore } from './challenges.js'
import type { CredentialStore } from './credentials.js'
import type { ResolvedWebAuthnOptions } from './options.js'

/** What the ceremony functions work with: resolved options, the core API and the stores. */
export interface WebAuthnContext {
  opts: ResolvedWebAuthnOptions
  mfa: MfaApi
  credentials: CredentialStore
  challenges: ChallengeStore
}
