import type { FastifyInstance } from 'fastify'
import { errors } from './errors.js'
import { setupMfaRoutes } from './routeScope.js'

const sessionView = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'label', 'ip', 'createdAt', 'lastSeenAt', 'current'],
  properties: {
    id: { type: 'string' },
    label: { type: 'string' },
    ip: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastSeenAt: { type: 'string', format: 'date-time' },
    current: { type: 'boolean', description: 'The session this request belongs to' }
  }
} as const

// randomToken(16): 22 base64url characters.
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } } } as const

/** `GET /mfa` and the signed-in sessions routes (SPEC §8) under core's prefix. */
export async function registerCoreRoutes (fastify: FastifyInstance, prefix: string): Promise<void> {
  const { guards, sessions } = fastify.mfa
  await fastify.register(async function mfaCoreRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/core' })
    routes.get('/', {
      preHandler: guards.signedInOrEnrolling,
      schema: { response: { 200: { type: 'object', additionalProperties: true, description: 'The user\'s factors, one entry per package' } } }
    }, async (request) => await fastify.mfa.summary(request.mfa.userId!))

    routes.get('/sessions', { preHandler: guards.signedIn, schema: { response: { 200: { type: 'array', items: sessionView } } } }, async (request) => {
      if (!await sessions.touch(request)) throw new errors.FST_MFA_UNAUTHENTICATED()
      return await sessions.list(request.mfa.userId!, request)
    })

    routes.delete<{ Params: { id: string } }>('/sessions/:id', {
      preHandler: guards.signedIn,
      schema: { params: idParams, response: { 204: { type: 'null', description: 'The session ended (this one too, when it is the current session)' } } }
    }, async (request, reply) => {
      const userId = request.mfa.userId!
      const current = request.session.get('mfa')?.sid === request.params.id
      if (!await sessions.end(userId, request.params.id, request)) throw new errors.FST_MFA_NOT_FOUND()
      await fastify.mfa.emit('session.ended', { userId, request, details: { sessionId: request.params.id, reason: current ? 'signed_out' : 'user' } })
      return await reply.code(204).send()
    })

    routes.delete('/sessions', {
      preHandler: guards.signedIn,
      schema: { response: { 204: { type: 'null', description: 'Every other session of the user ended; this one stays' } } }
    }, async (request, reply) => {
      const userId = request.mfa.userId!
      const count = await sessions.endAll(userId, { request, keepCurrent: true })
      if (count > 0) await fastify.mfa.emit('session.ended', { userId, request, details: { count, reason: 'all_others' } })
      return await reply.code(204).send()
    })
  }, { prefix })
}
