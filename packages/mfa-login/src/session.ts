import type { FastifyRequest } from 'fastify'
import type { Aal, MfaSessionState } from '@fastify-mfa/core'

/**
 * Every privilege change gets a new session id (OWASP session fixation): the pre-login id,
 * and a pending login's id, never carry the signed-in state.
 */
export async function establishSession (request: FastifyRequest, state: MfaSessionState): Promise<void> {
  await request.session.regenerate()
  request.session.set('mfa', state)
}

export interface SignedIn {
  userId: string
  aal: Exclude<Aal, 0>
  amr: string[]
  authTime: number
  mfaTime?: number
  mfaMethod?: string
  enrollOnly?: boolean
  suggestEnrollment?: boolean
}

export function signedInState (s: SignedIn): MfaSessionState {
  return {
    userId: s.userId,
    aal: s.aal,
    amr: [...new Set(s.amr)],
    authTime: s.authTime,
    ...(s.mfaTime !== undefined ? { mfaTime: s.mfaTime, mfaMethod: s.mfaMethod } : {}),
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
