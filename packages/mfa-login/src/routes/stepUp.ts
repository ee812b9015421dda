import type { FastifyInstance, FastifyRequest } from 'fastify'
import { withDetails, type FactorResult, type MfaFactor } from '@fastify-mfa/core'
import { errors } from '../errors.js'
import type { LoginFlow } from '../flow.js'
import { ceremonyBinding, establishSession, signedInState } from '../session.js'
import { checkCode, factorOf, type RouteLimits } from './login.js'
import * as s from './schemas.js'

/** Step-up: a signed-in user verifies a factor again; `mfaTime` is refreshed and the session renewed. */
export async function stepUpRoutes (routes: FastifyInstance, { flow, limits }: { flow: LoginFlow, limits: RouteLimits }): Promise<void> {
  const mfa = routes.mfa
  const preHandler = [mfa.guards.signedIn, ...limits.account((r) => `user:${r.mfa.userId}`)]
  const onRequest = limits.ip

  async function stepUp (request: FastifyRequest, factor: MfaFactor, check: (userId: string) => Promise<FactorResult>) {
    const userId = request.mfa.userId!
    const enrolled = await mfa.factors.enrolled(userId)
    if (!enrolled.includes(factor.id)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: enrolled })
    const result = await flow.underLockout(userId, async () => {
      const result = await check(userId)
      if (!result.ok || result.userId !== userId) return await flow.refuse(request, userId, factor.id, result)
      return result
    })
    const current = request.session.get('mfa')!
    const now = mfa.nowSeconds()
    const aal = Math.max(current.aal, result.aal) as 1 | 2 | 3
    // A session that may only enrol stays so unless this factor meets the user's role policy: a step-up
    // with TOTP makes the session fresh enough to add the key an admin role needs, and no more.
    const enrollOnly = current.enrollOnly === true && !await flow.policyAllows(userId, factor.id)
    await establishSession(request, signedInState({
      userId, aal, amr: [...current.amr, ...result.amr, 'mfa'], authTime: current.authTime ?? now, mfaTime: now, mfaMethod: factor.id, enrollOnly
    }))
    await mfa.emit('mfa.step_up', { userId, method: factor.id, request, details: { aal } })
    return { aal, mfaTime: now }
  }

  routes.post<{ Body: { method: string, code: string } }>('/step-up/verify', {
    onRequest, preHandler, schema: { body: s.stepUpBody }
  }, async (request) => {
    const factor = factorOf(routes, request.body.method, 'code')
    return await stepUp(request, factor, (userId) => checkCode(factor, userId, request.body.code, request))
  })

  routes.post<{ Params: { method: string } }>('/step-up/:method/options', {
    onRequest, preHandler: mfa.guards.signedIn, schema: { params: s.methodParams }
  }, async (request) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    return await factor.challenge!(request.mfa.userId, { purpose: 'step-up', binding: ceremonyBinding(request), request })
  })

  routes.post<{ Params: { method: string }, Body: { response: object } }>('/step-up/:method/verify', {
    onRequest, preHandler, schema: { params: s.methodParams, body: s.stepUpCeremonyBody }
  }, async (request) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    const binding = ceremonyBinding(request)
    return await stepUp(request, factor, (userId) => factor.verifyResponse!(userId, request.body.response, { purpose: 'step-up', binding, request }))
  })
}
