/** Authenticator assurance level (NIST SP 800-63B): 0 none, 1 password, 2 two factors, 3 phishing-resistant. */
export type Aal = 0 | 1 | 2 | 3

/** A login that passed the password step and waits for a second factor. */
export interface PendingLoginRef {
  id: string
  expiresAt: number // epoch seconds
  methods: string[]
}

/** What fastify-mfa keeps in `request.session.mfa`. Reading it costs no I/O. */
export interface MfaSessionState {
  userId?: string
  aal: Aal
  amr: string[]
  authTime?: number // epoch seconds of the password (or passkey) step
  mfaTime?: number // epoch seconds of the last second-factor check; never set by a remembered device
  mfaMethod?: string // factor id of that check
  /** Past the enrollment grace period: the session may only enrol a factor. */
  enrollOnly?: boolean
  suggestEnrollment?: boolean
  pending?: PendingLoginRef
}

/** `request.mfa`: the MFA state of the request's session. */
export interface RequestMfa {
  userId: string | null
  aal: Aal
  amr: string[]
  authTime: number | null
  mfaTime: number | null
  mfaMethod: string | null
  enrollOnly: boolean
  pending: { expiresAt: number, methods: string[] } | null
  /** Whether a second factor was verified within `maxAgeSec` seconds. A remembered device never is. */
  isFresh(maxAgeSec: number): boolean
}

export function readRequestMfa (state: MfaSessionState | undefined, nowSec: number): RequestMfa {
  const signedIn = typeof state?.userId === 'string'
  const pending = state?.pending && state.pending.expiresAt > nowSec ? state.pending : null
  const mfaTime = signedIn ? state?.mfaTime ?? null : null
  return {
    userId: signedIn ? state!.userId! : null,
    aal: signedIn ? state!.aal : 0,
    amr: signedIn ? [...state!.amr] : [],
    authTime: signedIn ? state?.authTime ?? null : null,
    mfaTime,
    mfaMethod: signedIn ? state?.mfaMethod ?? null : null,
    enrollOnly: signedIn && state?.enrollOnly === true,
    pending: pending ? { expiresAt: pending.expiresAt, methods: [...pending.methods] } : null,
    isFresh: (maxAgeSec) => mfaTime !== null && nowSec - mfaTime <= maxAgeSec
  }
}
