import type { Aal } from '@fastify-mfa/core'

export interface AssuranceInput {
  /** `multiDevice` credentials (synced passkeys, backup-eligible) can be copied between devices. */
  deviceType: 'singleDevice' | 'multiDevice'
  /** The UV flag of the assertion: the authenticator checked a PIN or biometric. */
  userVerified: boolean
  /** `passkey`: the credential is the only factor; otherwise it follows a password. */
  purpose: 'login' | 'step-up' | 'passkey'
  /** The level a synced passkey proves (the `syncedPasskeyAal` option). @default 2 */
  syncedPasskeyAal?: 2 | 3
}

/**
 * RFC 8176 methods and the NIST SP 800-63B-4 level an assertion gives. `amr` is `hwk` for a
 * device-bound key and `swk` for a synced passkey, plus `user` when the authenticator verified the
 * user: mfa-login reads the UV bit from there, never from `aal`.
 *
 * A device-bound key is a phishing-resistant hardware authenticator: AAL 3 after a password, or on
 * its own with user verification (a multi-factor cryptographic device). A synced passkey is just as
 * phishing-resistant, but its private key leaves the device to be synced, so 800-63B-4 (its rules for
 * syncable authenticators) places it at AAL 2 (`syncedPasskeyAal: 3` counts it as 3). A passkey
 * sign-in has no password, so without UV it is a single factor: AAL 1.
 */
export function assuranceOf ({ deviceType, userVerified, purpose, syncedPasskeyAal = 2 }: AssuranceInput): { amr: string[], aal: Exclude<Aal, 0> } {
  const synced = deviceType === 'multiDevice'
  const amr = [synced ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])]
  if (purpose === 'passkey' && !userVerified) return { amr, aal: 1 }
  return { amr, aal: synced ? syncedPasskeyAal : 3 }
}
