import type { IndexSpec, MfaApi, MfaCollection, StoredDocument } from '@fastify-mfa/core'
import type { ResolvedWebAuthnOptions } from './options.js'

/** A registered credential (`mfa_webauthn_credentials`). `_id` is the credential id, so ids are unique across users. */
export interface CredentialDocument extends StoredDocument {
  userId: string
  /** COSE public key, base64url. */
  publicKey: string
  /** Signature counter last accepted (WebAuthn §6.1.1); stays 0 for authenticators that do not count. */
  counter: number
  transports: string[]
  deviceType: 'singleDevice' | 'multiDevice'
  backedUp: boolean
  aaguid: string
  name: string
  createdAt: Date
  lastUsedAt: Date | null
}

/** What a challenge is for: registration (management routes) or one of the ceremonies of mfa-login. */
export type ChallengePurpose = 'register' | 'login' | 'step-up' | 'passkey'

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
