import type { MfaApi } from '@fastify-mfa/core'
import type { IndexSpec, MfaCollection, StoredDocument } from '@fastify-mfa/core/plugin-kit'
import type { ResolvedWebAuthnOptions } from './options.js'

/** A registered credential (`mfa_webauthn_credentials`). `_id` is the credential id, so ids are unique across users. */
export interface CredentialDocument extends StoredDocument {
  userId: string
  /** COSE public key, base64url. */
  publicKey: string
  /** Signature counter last accepted (WebAuthn §6.1.1); stays 0 for authenticators that do not count. */
  counter: number
  transports: string[]
  /** `multiDevice` when the authenticator said the credential may be synced (the BE flag): a synced passkey. */
  deviceType: 'singleDevice' | 'multiDevice'
  /**
   * The BE flag at registration (WebAuthn §6.1, fixed for the credential's life): false for a
   * device-bound key. Every assertion must carry the same flag. Absent on credentials stored before
   * it was recorded (then `deviceType === 'multiDevice'` says it).
   */
  backupEligible?: boolean
  /** The BS flag last seen: the synced passkey is backed up now. */
  backedUp: boolean
  /** The authenticator model's AAGUID (lowercase UUID; all zeros when the authenticator or browser hides it). */
  aaguid: string
  /** The attestation statement format of the registration (`none`, `packed` …). Absent on older credentials. */
  attestationFormat?: string
  /** Registered by the automatic passkey upgrade (conditional create), without user presence. */
  autoRegistered?: boolean
  name: string
  createdAt: Date
  lastUsedAt: Date | null
}

/**
 * What a challenge is for: registration (management routes), the automatic passkey upgrade
 * (`register-conditional`, the only one that accepts a response without user presence) or one of
 * the ceremonies of mfa-login.
 */
export type ChallengePurpose = 'register' | 'register-conditional' | 'login' | 'step-up' | 'passkey'

/** An issued challenge (`mfa_webauthn_challenges`). `_id` is the challenge itself; consumed once. */
export interface ChallengeDocument extends StoredDocument {
  purpose: ChallengePurpose
  /** Session id, pending login id or ceremony binding the challenge was issued to. */
  binding: string
  /** The user it was issued for; null for a passkey sign-in (the user is not known yet). */
  userId: string | null
  /** Registration only: the name asked for in the options request. */
  name?: string
  expiresAt: Date
}

export const credentialIndexes: IndexSpec[] = [
  { name: 'user_credentials', key: { userId: 1, createdAt: 1 } }
]

export const challengeIndexes: IndexSpec[] = [
  // Garbage collection only: expiry is checked in the consuming query.
  { name: 'expiry', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
]

/** A signature counter accepted (or being checked) for a credential: `_id` is `<credential id>#<counter>`. */
export interface CounterDocument extends StoredDocument { credentialId: string, counter: number }

export const counterIndexes: IndexSpec[] = [{ name: 'credential_counter', key: { credentialId: 1, counter: 1 } }]

export interface WebAuthnCollections {
  credentials: MfaCollection<CredentialDocument>
  /** Signature counter claims, `<credentials collection>_counters`. */
  counters: MfaCollection<CounterDocument>
  challenges: MfaCollection<ChallengeDocument>
}

export function createCollections (mfa: MfaApi, opts: ResolvedWebAuthnOptions): WebAuthnCollections {
  const credentials = mfa.collection<CredentialDocument>(opts.collections.credentials)
  const counters = mfa.collection<CounterDocument>(`${opts.collections.credentials}_counters`)
  const challenges = mfa.collection<ChallengeDocument>(opts.collections.challenges)
  mfa.ensureIndexes(credentials, credentialIndexes)
  mfa.ensureIndexes(counters, counterIndexes)
  mfa.ensureIndexes(challenges, challengeIndexes)
  return { credentials, counters, challenges }
}
