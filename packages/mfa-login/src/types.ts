import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Aal } from '@fastify-mfa/core'

export type LoginAnswer =
  | { step: 'complete', aal: Aal, enrollmentRequired?: boolean, suggestEnrollment?: boolean }
  | { step: 'mfa', mfaToken: string, methods: string[], expiresAt: string }

export interface LoginApi {
  /**
   * For hosts with their own password check: sends what `POST /auth/login` would after a correct
   * password, and returns the reply (`return fastify.mfa.login.begin(request, reply, user.id)`).
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
