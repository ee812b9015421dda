import type { FastifyInstance, FastifyRequest } from 'fastify'
import { withDetails } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import { emailTakenMail, verificationMail, type AppMail } from './mails.js'
import type { User, Users } from './users.js'

/** The app's own mails (verification, "someone used your address"), through @fastify-mfa/sent-codes' mailer. */
export function createAccountMails (api: FastifyInstance, { users, origin }: { users: Users, origin: string }) {
  async function send (request: FastifyRequest, to: string, mail: AppMail, kind: string): Promise<boolean> {
    const mailer = api.mfa.mailer
    if (!mailer) throw new TypeError('host-app: @fastify-mfa/sent-codes must be registered with `email` before the account routes')
    try {
      await mailer.send({ to, ...mail })
      request.log.info({ mail: kind }, 'account mail sent')
      return true
    } catch (err) {
      // What failed, never what the mail said (it may hold a code).
      request.log.error({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, mail: kind }, 'account mail could not be sent')
      return false
    }
  }
  return {
    /** Mails the verification code; false when the mail could not be sent. */
    verification: async (request: FastifyRequest, user: User, code: string) =>
      await send(request, user.email, verificationMail(code, origin), 'email_verification'),
    /**
     * Tells the owner of `email` that someone tried to sign up with it, at most once an hour per
     * account (so nobody can flood an inbox through the sign-up form). The answer to the sign-up
     * stays 409 whatever happens here.
     */
    async addressTaken (request: FastifyRequest, email: string): Promise<void> {
      const owner = await users.byEmail(email)
      if (owner && await users.takenNoticeDue(owner.id)) await send(request, owner.email, emailTakenMail(owner.email, origin, new Date()), 'email_taken')
    }
  }
}

export type AccountMails = ReturnType<typeof createAccountMails>

const CODE = { type: 'string', minLength: 6, maxLength: 16 }
const HOUR = 3_600_000

/**
 * Email verification: `POST /api/verify-email { code }` and `POST /api/verify-email/resend`, for a
 * signed-in user (enrol-only sessions too: verifying an address is not an account change).
 */
export async function verificationRoutes (api: FastifyInstance, { users, mails }: { users: Users, mails: AccountMails }): Promise<void> {
  const mfa = api.mfa
  const byUser = (request: FastifyRequest): string => `verify:${request.mfa.userId ?? request.ip}`

  api.post<{ Body: { code: string } }>('/api/verify-email', {
    preHandler: mfa.guards.signedInOrEnrolling,
    // Each code takes 5 tries; this bounds the tries across resends too.
    config: { rateLimit: { max: 20, timeWindow: HOUR, hook: 'preHandler', keyGenerator: byUser, errorResponseBuilder: (_r, ctx) => tooMany(ctx.ttl) } },
    schema: { body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: CODE } } }
  }, async (request) => {
    const userId = request.mfa.userId!
    const code = request.body.code.replace(/[\s-]/g, '')
    if (!/^\d{6}$/.test(code)) throw new errors.APP_VERIFICATION_CODE_INVALID()
    const result = await users.verifyEmail(userId, code)
    if (!result.ok) {
      if (result.reason === 'wrong') throw withDetails(new errors.APP_VERIFICATION_CODE_INVALID(), { attemptsLeft: result.attemptsLeft })
      if (result.reason === 'verified') throw new errors.APP_ALREADY_VERIFIED()
      if (result.reason === 'unknown') throw new errors.APP_USER_NOT_FOUND()
      throw new errors.APP_VERIFICATION_EXPIRED()
    }
    request.log.info({ userId }, 'email address verified')
    const roles = result.user.roles
    if (roles.includes('admin')) {
      // A privilege change: the sessions opened before it were decided without the admin policy
      // (a security key), so every one of them ends, this one too; the next sign-in applies it.
      await mfa.securityStampChanged(userId, { request, reason: 'admin_role_granted', endCurrent: true })
      return { verified: true, roles, signedOut: true }
    }
    return { verified: true, roles }
  })

  api.post('/api/verify-email/resend', {
    preHandler: mfa.guards.signedInOrEnrolling,
    config: { rateLimit: { max: 5, timeWindow: HOUR, hook: 'preHandler', keyGenerator: byUser, errorResponseBuilder: (_r, ctx) => tooMany(ctx.ttl) } }
  }, async (request, reply) => {
    const userId = request.mfa.userId!
    const result = await users.newVerificationCode(userId)
    if (!result.ok) {
      if (result.reason === 'too_soon') throw withDetails(new errors.APP_VERIFICATION_RATE_LIMITED(), { retryAfter: result.retryAfter })
      if (result.reason === 'verified') throw new errors.APP_ALREADY_VERIFIED()
      throw new errors.APP_USER_NOT_FOUND()
    }
    if (!await mails.verification(request, result.user, result.code)) {
      await users.dropVerificationCode(userId, result.code)
      throw new errors.APP_DELIVERY_FAILED()
    }
    return await reply.code(204).send()
  })
}

const tooMany = (ttl: number) => withDetails(new errors.APP_VERIFICATION_RATE_LIMITED(), { retryAfter: Math.ceil(ttl / 1000) })
