import type { FastifyInstance } from 'fastify'
import { setupMfaRoutes } from './routeErrors.js'

export async function registerCoreRoutes (fastify: FastifyInstance, prefix: string): Promise<void> {
  // `config.mfa` on any route of the app works like `preHandler: fastify.mfa.require(config.mfa)`.
  fastify.addHook('onRoute', (route) => {
    const guard = route.config?.mfa
    if (!guard) return
    const check = fastify.mfa.require(guard)
    const existing = route.preHandler ? [route.preHandler].flat() : []
    route.preHandler = [check, ...existing]
  })

  await fastify.register(async function mfaCoreRoutes (routes) {
    setupMfaRoutes(routes)
    routes.get('/', {
      preHandler: fastify.mfa.guards.signedIn,
      schema: { response: { 200: { type: 'object', additionalProperties: true } } }
    }, async (request) => await fastify.mfa.summary(request.mfa.userId!))
  }, { prefix })
}
