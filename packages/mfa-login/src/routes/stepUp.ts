import type { FastifyInstance } from 'fastify'
import type { LoginFlow } from '../flow.js'
import { ceremonyBinding } from '../session.js'
import { checkCode, factorOf, type RouteLimits } from './login.js'
import * as s from './schemas.js'
import { ceremonyOptions, stepUpAnswer } from './answers.js'

/** Step-up: a signed-in user verifies a factor again (`flow.stepUp` decides what counts and what it refreshes). */
export async function stepUpRoutes (routes: FastifyInstance, { flow, limits }: { flow: LoginFlow, limits: RouteLimits }): Promise<void> {
  const mfa = routes.mfa
  // Enrol-only sessions step up too: to stay fresh for enrolling, or to leave enrol-only with the factor their role needs.
  const signedIn = mfa.guards.signedInOrEnrolling
  const preHandler = [signedIn, ...limits.account((r) => `user:${r.mfa.userId}`)]
  const onRequest = limits.ip

  routes.post<{ Body: { method: string, code: string } }>('/step-up/verify', {
    onRequest, preHandler, schema: { body: s.stepUpBody, response: { 200: stepUpAnswer } }
  }, async (request, reply) => {
    const factor = factorOf(routes, request.body.method, 'code')
    const binding = ceremonyBinding(request)
    return await flow.stepUp(request, reply, factor, (userId) => checkCode(factor, userId, request.body.code, request, { purpose: 'step-up', binding }))
  })

  routes.post<{ Params: { method: string } }>('/step-up/:method/options', {
    onRequest, preHandler: signedIn, schema: { params: s.methodParams, response: ceremonyOptions }
  }, async (request) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    return await factor.challenge!(request.mfa.userId, { purpose: 'step-up', binding: ceremonyBinding(request), request })
  })

  routes.post<{ Params: { method: string }, Body: { response: object } }>('/step-up/:method/verify', {
    onRequest, preHandler, schema: { params: s.methodParams, body: s.stepUpCeremonyBody, response: { 200: stepUpAnswer } }
  }, async (request, reply) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    const binding = ceremonyBinding(request)
    return await flow.stepUp(request, reply, factor, (userId) => factor.verifyResponse!(userId, request.body.response, { purpose: 'step-up', binding, request }))
  })
}
