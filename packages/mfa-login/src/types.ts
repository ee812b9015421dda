import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Aal } from '@fastify-mfa/core'

export type LoginAnswer =
  | { step: 'complete', aal: Aal, enrollmentRequired?: boolean, suggestEnrollment?: boolean }
  | { step: 'mfa', mfaToken: string, methods: string[], expiresAt: string }

export interface LoginApi {
  /**
   * For hosts with their own password check, after it succeeded: sends what `POST /auth/login` would
   * after a right password and returns the reply (`return fastify.mfa.login.begin(request, reply, user.id)`):
   * 200 `{ step: 'complete', aal }` (signed in: no factor, or a remembered device), 200 `{ step: 'mfa',
   * mfaToken, methods, expiresAt }` (a pending login: NOT signed in), or a refusal in the suite's error
   * shape (423 `FST_MFA_LOCKED` with `retryAfter` and `Retry-After`, 423 `FST_MFA_CODES_BLOCKED`, 401
   * `FST_MFA_INVALID_CREDENTIALS` when `getUser` does not know the user), whatever your error handler does.
   * It gives the session a new id (so anything you stored in the session before is gone) and writes
   * `session.mfa`. Do not mark the session signed in yourself: use the `onSignedIn` option, which runs
   * when the sign-in completes on every path, or read `request.mfa.signedIn`. Do not give the route a
   * response schema of your own (the answers above would not match it).
   */
  begin(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<FastifyReply>
}

export interface AdminApi {
  /** Support-assisted recovery: removes factors, remembered devices and pending logins, ends every session of the user; new security stamp. */
  reset(userId: string, input: { actor: string, reason: string, request?: FastifyRequest }): Promise<void>
}

declare module '@fastify-mfa/core' {
  interface MfaApi {
    login: LoginApi
    admin: AdminApi
  }
}

declare module 'fastify' {
  interface Session {
    mfaCeremony?: string
  }
}

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'login.password_failed': { knownUser: boolean, knownDevice: boolean, braked?: number }
    'login.throttled': { knownDevice: boolean, retryAfter: number }
    'login.password_ok': { methods: string[] }
    'login.success': { aal: number, amr: string[] }
    'login.locked': { seconds: number }
    'login.passkey_failed': { reason: string }
    'mfa.code_refused': { reason: string }
    'mfa.code_accepted': Record<string, never>
    'mfa.codes_blocked': { consecutiveFailures: number, until: string }
    'mfa.step_up': { aal: number }
    'device_cookie.issued': { deviceId: string }
    logout: Record<string, never>
    'recovery.admin_reset': { actor: string, reason: string, removed: string[], devices: number }
  }
}
