/** Authenticator assurance level (NIST SP 800-63B): 0 none, 1 password, 2 two factors, 3 phishing-resistant. */
export type Aal = 0 | 1 | 2 | 3

/** A login that passed the password step and waits for a second factor. */
export interface PendingLoginRef {
  id: string
  expiresAt: number // epoch seconds
  methods: string[]
}

/** One second-factor check of a session: when the method was last verified, and the level it proved. */
export interface FactorCheck {
  at: number // epoch seconds
  aal: 2 | 3
}

/** What fastify-mfa keeps in `request.session.mfa`. Reading it costs no I/O. */
export interface MfaSessionState {
  userId?: string
  /** The highest level this session has proven. Freshness is per level: see `checks`. */
  aal: Aal
  amr: string[]
  authTime?: number // epoch seconds of the password (or passkey) step
  /**
   * The second-factor checks of this session, by factor id. A remembered device adds none, so it is
   * never fresh; a TOTP check refreshes level 2 only, never a level-3 (WebAuthn) check.
   */
  checks?: Record<string, FactorCheck>
  /** The session may only enrol a factor (past the grace period, or a role needs a factor the user lacks). */
  enrollOnly?: boolean
  suggestEnrollment?: boolean
  pending?: PendingLoginRef
  /** Public id of the session's record in the registry (`GET /mfa/sessions`); never the session id. */
  sid?: string
  /** When the registry last recorded the session as seen (epoch seconds; updated coarsely). */
  seenAt?: number
}

/** What a freshness check asks for: a check of at least `aal`, by one of `methods` when given. */
export interface FreshnessOptions {
  /** @default 2 */
  aal?: 2 | 3
  methods?: string[]
}

/** `request.mfa`: the MFA state of the request's session. */
export interface RequestMfa {
  /**
   * Completely signed in: a user, every factor the policy asks for, not enrol-only. What a host with
   * its own login should treat as "signed in" (a pending login or an enrol-only session is not).
   */
  signedIn: boolean
  userId: string | null
  aal: Aal
  amr: string[]
  authTime: number | null
  /** The newest second-factor check of any kind, and its method. */
  mfaTime: number | null
  mfaMethod: string | null
  enrollOnly: boolean
  pending: { expiresAt: number, methods: string[] } | null
  /**
   * Whether a second factor of at least `aal` (2 by default), by one of `methods` when given, was
   * verified within `maxAgeSec` seconds. A remembered device never is.
   */
  isFresh(maxAgeSec: number, options?: FreshnessOptions): boolean
  /** Epoch seconds of the newest check meeting `options`, or null. */
  checkedAt(options?: FreshnessOptions): number | null
}

/** The newest check in `checks` that meets `options`. */
export function newestCheck (checks: Record<string, FactorCheck> | undefined, options: FreshnessOptions = {}): { method: string, at: number } | null {
  let newest: { method: string, at: number } | null = null
  for (const [method, check] of Object.entries(checks ?? {})) {
    if (check.aal < (options.aal ?? 2) || (options.methods && !options.methods.includes(method))) continue
    if (newest === null || check.at > newest.at) newest = { method, at: check.at }
  }
  return newest
}

/**
 * `request.mfa` from the session. A signed-in state older than `lifetimeSec` (counted from its
 * password or passkey step) reads as signed out: the registry keeps a session's record that long,
 * so no session can outlive the record that lets a security change end it.
 */
export function readRequestMfa (state: MfaSessionState | undefined, nowSec: number, lifetimeSec = Infinity): RequestMfa {
  const signedIn = typeof state?.userId === 'string' && nowSec - (state.authTime ?? nowSec) < lifetimeSec
  const pending = state?.pending && state.pending.expiresAt > nowSec ? state.pending : null
  const checks = signedIn ? state!.checks : undefined
  const newest = newestCheck(checks)
  const checkedAt = (options?: FreshnessOptions): number | null => newestCheck(checks, options)?.at ?? null
  return {
    signedIn: signedIn && state?.enrollOnly !== true,
    userId: signedIn ? state!.userId! : null,
    aal: signedIn ? state!.aal : 0,
    amr: signedIn ? [...state!.amr] : [],
    authTime: signedIn ? state?.authTime ?? null : null,
    mfaTime: newest?.at ?? null,
    mfaMethod: newest?.method ?? null,
    enrollOnly: signedIn && state?.enrollOnly === true,
    pending: pending ? { expiresAt: pending.expiresAt, methods: [...pending.methods] } : null,
    checkedAt,
    isFresh: (maxAgeSec, options) => {
      const at = checkedAt(options)
      return at !== null && nowSec - at <= maxAgeSec
    }
  }
}
