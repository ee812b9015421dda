import type { FastifyInstance } from 'fastify'
import * as s from './schemas.js'

export async function sessionRoutes (routes: FastifyInstance): Promise<void> {
  const mfa = routes.mfa

  /** `request.mfa` as JSON, plus the user's factors and whether to suggest enrolling one. */
  routes.get('/session', async (request) => {
    const { isFresh: _isFresh, ...state } = request.mfa
    const userId = state.userId
    if (userId === null) return { ...state, factors: null, suggestEnrollment: false }
    const [factors, methods] = await Promise.all([mfa.summary(userId), mfa.factors.enrolled(userId)])
    const suggestEnrollment = methods.length === 0 && request.session.get('mfa')?.suggestEnrollment === true
    return { ...state, fresh: request.mfa.isFresh(mfa.options.freshAge), methods, factors, suggestEnrollment }
  })

  routes.get<{ Querystring: { limit: number } }>('/events', {
    preHandler: mfa.guards.signedIn, schema: { querystring: s.eventsQuery }
  }, async (request) => {
    const events = await mfa.events.recent(request.mfa.userId!, request.query.limit)
    return events.map(({ _id, type, method, ip, userAgent, at, details }) => ({ id: _id, type, method, ip, userAgent, at, details }))
  })
}
