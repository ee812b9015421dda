import type { FastifyInstance } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import type { Policy } from '../policy.js'
import * as s from './schemas.js'
import { eventsAnswer, sessionAnswer } from './answers.js'

/**
 * SPEC §5: users without MFA are nudged after suspicious activity: this login came from a browser
 * not seen in earlier logins, or a lockout or security change (password reset) happened since.
 */
async function suspiciousSinceLastLogin (mfa: MfaApi, userId: string): Promise<boolean> {
  const events = await mfa.events.recent(userId, 30)
  const logins = events.filter((e) => e.type === 'login.success')
  const [current, previous] = logins
  if (!current || !previous) return false
  const changed = events.some((e) => (e.type === 'security_stamp.changed' || e.type === 'login.locked') && e.at > previous.at && e.at <= current.at)
  return changed || !logins.slice(1).some((e) => e.userAgent === current.userAgent)
}

export async function sessionRoutes (routes: FastifyInstance, policy: Policy): Promise<void> {
  const mfa = routes.mfa

  /** `request.mfa` as JSON, plus the user's factors and whether to suggest enrolling one. */
  routes.get('/session', { schema: { response: sessionAnswer } }, async (request) => {
    await mfa.sessions.touch(request)
    const { isFresh: _isFresh, checkedAt: _checkedAt, ...state } = request.mfa
    const userId = state.userId
    if (userId === null) return { ...state, factors: null, suggestEnrollment: false }
    const [factors, decision] = await Promise.all([mfa.summary(userId), policy.decide(userId).catch(() => null)])
    if (decision === null) return { ...state, factors, methods: [], suggestEnrollment: false } // the host no longer knows the user
    const methods = decision.enrolled
    const suggestEnrollment = methods.length === 0 &&
      (request.session.get('mfa')?.suggestEnrollment === true || await suspiciousSinceLastLogin(mfa, userId))
    const freshAge = mfa.options.freshAge
    return {
      ...state,
      fresh: request.mfa.isFresh(freshAge),
      freshAal3: request.mfa.isFresh(freshAge, { aal: 3 }),
      methods,
      // What the user's roles require (null: any factor), and what a step-up accepts now.
      requiredMethods: decision.required,
      stepUpMethods: decision.methods,
      factors,
      suggestEnrollment
    }
  })

  routes.get<{ Querystring: { limit: number } }>('/events', {
    preHandler: mfa.guards.signedIn, schema: { querystring: s.eventsQuery, response: eventsAnswer }
  }, async (request) => {
    const events = await mfa.events.recent(request.mfa.userId!, request.query.limit)
    return events.map(({ _id, type, method, ip, userAgent, at, details }) => ({ id: _id, type, method, ip, userAgent, at, details }))
  })
}
