import type { Aal } from '@fastify-mfa/core'

export interface AssuranceInput {
  /** `multiDevice` credentials (synced passkeys) can be copied between devices. */
  deviceType: 'singleDevice' | 'multiDevice'
  /** The UV flag of the assertion: the authenticator checked a PIN or biometric. */
  userVerified: boolean
  /** `passkey`: the credential is the only factor; otherwise it follows a password. */
  purpose: 'login' | 'step-up' | 'passkey'
}

/**
 * RFC 8176 methods and the NIST SP 800-63B level an assertion gives. After a password (second factor
 * or step-up) a WebAuthn assertion is a phishing-resistant second factor: AAL 3. A passkey sign-in
 * has no password, so it is multi-factor only when the authenticator verified the user; without UV
 * it is a single factor (AAL 1).
 */
export function assuranceOf ({ deviceType, userVerified, purpose }: AssuranceInput): { amr: string[], aal: Exclude<Aal, 0> } {
  const amr = [deviceType === 'multiDevice' ? 'swk' : 'hwk', ...(userVerified ? ['user'] : [])]
  const aal = purpose !== 'passkey' || userVerified ? 3 : 1
  return { amr, aal }
}
