import bcrypt from 'bcrypt'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from './config.js'
import { errors } from './errors.js'
import { PASSWORD_COST, type Users } from './users.js'
import type { AccountMails } from './verificationRoutes.js'

interface AccountRouteOptions {
  config: AppConfig
  users: Users
  mails: AccountMails
  /** An ioredis client: sign-up counts are shared by every instance. */
  redis: unknown
}

const password = { type: 'string', minLength: 8, maxLength: 200 }

/** The host's own account routes: sign-up (which mails a verification code), password change, account deletion (SPEC §7, §8). */
export async function accountRoutes (api: FastifyInstance, { config, users, mails, redis }: AccountRouteOptions): Promise<void> {
  const mfa = api.mfa
  await api.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'host-app-rl-' } : {}),
    errorResponseBuilder: () => new errors.APP_RATE_LIMITED()
  })

  api.post<{ Body: { email: string, password: string } }>('/api/signup', {
    // Per address (IPv6 per /64): one client cannot fill the users collection or probe which emails exist.
    config: { rateLimit: { max: config.signupRateLimit, timeWindow: 60_000 } },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'password'],
        properties: { email: { type: 'string', format: 'email', maxLength: 254 }, password }
      }
    }
  }, async (request, reply) => {
    const created = await users.signup(request.body.email, request.body.password)
    if (!created) {
      // The answer stays as it was (sign in instead); the owner of the address hears of it.
      await mails.addressTaken(request, request.body.email)
      throw new errors.APP_EMAIL_TAKEN()
    }
    const { user, code } = created
    // The account exists either way; when the mail failed, the banner's "send a new code" retries it.
    const verificationSent = await mails.verification(request, user, code)
    if (!verificationSent) await users.dropVerificationCode(user.id, code)
    return reply.code(201).send({ id: user.id, email: user.email, verified: false, verificationSent })
  })

  // guards.manage: signed in, past enrolment (an enrol-only session may only add a factor), and a
  // fresh second factor when the user has one, so a stolen session alone cannot lock the owner out.
  const manage = mfa.guards.manage

  api.post<{ Body: { currentPassword: string, newPassword: string } }>('/api/password', {
    preHandler: manage,
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['currentPassword', 'newPassword'],
        properties: { currentPassword: { type: 'string', minLength: 1, maxLength: 200 }, newPassword: password }
      }
    }
  }, async (request, reply) => {
    const userId = request.mfa.userId!
    const user = await users.byId(userId)
    if (!user || !await bcrypt.compare(request.body.currentPassword, user.passwordHash)) throw new errors.APP_WRONG_PASSWORD()
    const passwordHash = await bcrypt.hash(request.body.newPassword, PASSWORD_COST)
    // Compare-and-set on the hash just checked: a change that raced this one and won made the
    // current password wrong.
    if (!await users.setPassword(userId, passwordHash, user.passwordHash)) throw new errors.APP_WRONG_PASSWORD()
    // Other sessions (perhaps the attacker's) end everywhere; this one goes on with a new id.
    await mfa.securityStampChanged(userId, { request, reason: 'password_changed' })
    return reply.code(204).send()
  })

  api.delete('/api/account', { preHandler: manage }, async (request, reply) => {
    const userId = request.mfa.userId!
    // The host's record goes first: should forgetting the MFA records fail half-way, no password
    // sign-in into an account stripped of its second factor is left behind, and a retry finishes it.
    await users.remove(userId)
    await mfa.forgetUser(userId, { request })
    if (request.session) await request.session.destroy()
    return reply.code(204).send()
  })
}
