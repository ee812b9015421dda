import type { FastifyRequest } from 'fastify'
import type { Aal } from '@fastify-mfa/core'
import type { FactorCheck, MfaSessionState } from '@fastify-mfa/core/plugin-kit'

export interface SignedIn {
  userId: string
  aal: Exclude<Aal, 0>
  amr: string[]
  authTime: number
  /** Checks the session already had (step-up keeps them). */
  checks?: Record<string, FactorCheck>
  /** The second factor just verified (epoch seconds `at`), recorded at its own level. */
  check?: { method: string, aal: Exclude<Aal, 0>, at: number }
  enrollOnly?: boolean
  suggestEnrollment?: boolean
}

/** The session state of a finished sign-in or step-up; core's `sessions.establish` gives it a new session id. */
export function signedInState (s: SignedIn): MfaSessionState {
  const checks = { ...s.checks }
  // A second factor after the password proves at least level 2.
  if (s.check) checks[s.check.method] = { at: s.check.at, aal: s.check.aal === 3 ? 3 : 2 }
  return {
    userId: s.userId,
    aal: s.aal,
    amr: [...new Set(s.amr)],
    authTime: s.authTime,
    ...(Object.keys(checks).length > 0 ? { checks } : {}),
    ...(s.enrollOnly ? { enrollOnly: true } : {}),
    ...(s.suggestEnrollment ? { suggestEnrollment: true } : {})
  }
}

/** A random id in the session that WebAuthn challenges of this session are bound to. */
export function ceremonyBinding (request: FastifyRequest): string {
  let binding = request.session.get('mfaCeremony')
  if (!binding) {
    binding = `s:${request.session.sessionId}`
    request.session.set('mfaCeremony', binding)
  }
  return binding
}
