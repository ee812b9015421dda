import type { FastifyInstance, FastifyRequest } from 'fastify'
import { setupMfaRoutes, withDetails } from '@fastify-mfa/core/plugin-kit'
import type { Channel } from './channels.js'
import type { Codes } from './codes.js'
import { errors } from './errors.js'
import { normalizeSentCode, sentCodePattern } from './normalizeSentCode.js'
import { enrolmentId, type SentCodeStore } from './store.js'

interface RouteDeps {
  store: SentCodeStore
  codes: Codes
  prefix: string
}

const sentAnswer = {
  type: 'object',
  additionalProperties: false,
  required: ['sentTo', 'expiresAt', 'resendAfter'],
  properties: { sentTo: { type: 'string' }, expiresAt: { type: 'string' }, resendAfter: { type: 'string' } }
} as const

/**
 * What an enrolment code is bound to: the sign-in (its public registry id, which survives the
 * session id changing), so a code mailed to one browser's setup confirms nothing in another.
 */
const enrolBinding = (request: FastifyRequest): string => `enrol:${request.session.get('mfa')?.sid ?? request.session.sessionId}`

/** `POST <prefix>/<method>/setup`, `POST <prefix>/<method>/confirm`, `DELETE <prefix>/<method>` for one channel. */
export async function registerSentCodeRoutes (fastify: FastifyInstance, channel: Channel, { store, codes, prefix }: RouteDeps): Promise<void> {
  const mfa = fastify.mfa
  const { method } = channel
  const { enrol, manage } = mfa.guards

  await fastify.register(async function sentCodeRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/sent-codes' })

    // Enrolment proves the channel: a code goes to the address, and only that code confirms it.
    routes.post(`/${method}/setup`, { preHandler: enrol, schema: { body: channel.setupBody, response: { 200: sentAnswer } } },
      async function sentCodeSetup (request) {
        const userId = request.mfa.userId!
        const address = await channel.setupAddress(userId, request.body)
        const sent = await codes.issue(channel, { userId, purpose: 'enrol', binding: enrolBinding(request), address, request })
        return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString(), resendAfter: sent.resendAfter.toISOString() }
      })

    routes.post<{ Body: { code: string } }>(`/${method}/confirm`, {
      preHandler: enrol,
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', pattern: sentCodePattern } } },
        response: { 200: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' }, backupCodes: { type: 'array', items: { type: 'string' } } } } }
      }
    }, async function sentCodeConfirm (request) {
      const userId = request.mfa.userId!
      const code = normalizeSentCode(request.body.code)!
      const result = await codes.check({ method, userId, purpose: 'enrol', binding: enrolBinding(request), code, request })
      if (result.outcome === 'invalid') {
        await mfa.emit(`${method}.confirm_refused`, { userId, method, request, details: { attemptsLeft: result.attemptsLeft } })
        throw withDetails(new errors.FST_MFA_INVALID_CODE(), { attemptsLeft: result.attemptsLeft })
      }
      // No setup, expired, out of attempts, or used by a confirm racing this one.
      if (result.outcome !== 'ok' || !result.code.address) throw new errors.FST_MFA_SETUP_EXPIRED()
      const sentTo = result.code.sentTo
      const replaced = await store.saveEnrolment({
        _id: enrolmentId(method, userId), userId, method, address: result.code.address, sentTo, enabledAt: new Date(mfa.now())
      })
      // A new address replaces the old one: what the old one could open (other sessions, devices) ends.
      if (replaced) await mfa.securityStampChanged(userId, { request, reason: `${method}.replaced` })
      const backupCodes = await mfa.recoveryCodes?.issueIfNone(userId, request) ?? null
      await mfa.emit(`${method}.enabled`, { userId, method, request, details: { sentTo, replaced } })
      await mfa.factorAdded(userId, { request, method })
      return backupCodes ? { enabled: true, backupCodes } : { enabled: true }
    })

    routes.delete(`/${method}`, {
      preHandler: manage,
      schema: { response: { 204: { type: 'null', description: `${method} is disabled` } } }
    }, async function sentCodeDisable (request, reply) {
      const userId = request.mfa.userId!
      if (!await store.removeEnrolment(method, userId)) throw new errors.FST_MFA_NOT_ENROLLED()
      await mfa.factorRemoved(userId, { request, method, reason: `${method}.disabled` })
      await mfa.emit(`${method}.disabled`, { userId, method, request })
      return await reply.code(204).send()
    })
  }, { prefix })
}
