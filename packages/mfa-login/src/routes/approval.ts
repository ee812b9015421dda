import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { withDetails, type CodeContext, type FactorResult, type MfaFactor, type PromptStart } from '@fastify-mfa/core/plugin-kit'
import { errors as coreErrors } from '@fastify-mfa/core'
import { errors } from '../errors.js'
import type { LoginFlow } from '../flow.js'
import type { Policy } from '../policy.js'
import { ceremonyBinding } from '../session.js'
import { pendingKey, type RouteLimits } from './login.js'
import * as s from './schemas.js'
import { completeAnswer, pendingApproval, stepUpAnswer } from './answers.js'

const requestId = { type: 'string', minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const
const object = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required }) as const
// `{}` or no body at all for a browser (its pending login is in the session).
const loginStartBody = { ...object({ mfaToken: s.token }), type: ['object', 'null'] } as const
const loginVerifyBody = object({ mfaToken: s.token, requestId, rememberDevice: { type: 'boolean' } }, ['requestId'])
const stepUpStartBody = { type: ['object', 'null'], additionalProperties: false, maxProperties: 0, properties: {} } as const
const stepUpVerifyBody = object({ requestId }, ['requestId'])
const startAnswer = {
  200: {
    type: 'object',
    additionalProperties: false,
    required: ['requestId', 'number', 'expiresAt'],
    properties: { requestId: { type: 'string' }, number: { type: 'integer', description: 'the two digits to show' }, expiresAt: { type: 'string' } }
  }
} as const

/**
 * Waiting ends when the client goes away, so a closed tab does not hold a waiter for the whole wait.
 * (`close` on the response: the request's own `close` fires once its body is read.)
 */
function whileConnected (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => { controller.abort() })
  return controller.signal
}

/**
 * The decision, spent inside `flow.verifyPending` / `flow.stepUp` (policy, lockout, session
 * regeneration as for any factor). A denial and a spent or expired request are thrown, not returned:
 * they are no wrong guess of the signing-in client, so they do not count toward the account lockout.
 */
function spent (result: 'pending' | FactorResult): FactorResult {
  if (result === 'pending') throw new errors.FST_MFA_LOGIN_EXPIRED() // decided requests do not become undecided
  if (!result.ok && result.reason === 'denied') throw new coreErrors.FST_MFA_APPROVAL_DENIED()
  if (!result.ok && result.reason === 'expired') throw new errors.FST_MFA_LOGIN_EXPIRED()
  return result
}

/**
 * Approval on a signed-in device (a `prompt` factor, e.g. @fastify-mfa/device-approval): start shows
 * the number, verify waits for the decision (202 while none was made) and then completes the sign-in
 * or step-up like any second factor.
 */
export async function approvalRoutes (routes: FastifyInstance, { flow, policy, limits }: { flow: LoginFlow, policy: Policy, limits: RouteLimits }): Promise<void> {
  const mfa = routes.mfa
  const onRequest = limits.ip
  const stepUpPreHandler = [mfa.guards.signedInOrEnrolling, ...limits.account((r) => `user:${r.mfa.userId}`)]

  const promptFactor = (): MfaFactor => {
    const factor = mfa.factors.list().find((f) => f.kind === 'prompt')
    if (!factor) throw new errors.FST_MFA_METHOD_NOT_ALLOWED()
    return factor
  }
  /** 403 with the other methods when nobody can answer the prompt (for a step-up: no session but this one). */
  const started = async (factor: MfaFactor, start: Promise<PromptStart>, methods: string[]) => {
    try {
      const { requestId, number, expiresAt } = await start
      return { requestId, number, expiresAt: expiresAt.toISOString() }
    } catch (err) {
      if ((err as { code?: string }).code !== 'FST_MFA_NOT_ENROLLED') throw err
      throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: methods.filter((m) => m !== factor.id) })
    }
  }
  const offered = async (request: FastifyRequest, mfaToken: string | undefined, factor: MfaFactor) => {
    const pending = await flow.findPending(request, mfaToken)
    if (!pending.methods.includes(factor.id)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: pending.methods })
    return pending
  }

  routes.post<{ Body: { mfaToken?: string } | null }>('/login/approval/start', {
    onRequest, preHandler: limits.account(pendingKey), schema: { body: loginStartBody, response: startAnswer }
  }, async (request) => {
    const factor = promptFactor()
    const pending = await offered(request, request.body?.mfaToken, factor)
    return await started(factor, factor.start!(pending.userId, { purpose: 'login', binding: pending._id, request }), pending.methods)
  })

  routes.post<{ Body: { mfaToken?: string, requestId: string, rememberDevice?: boolean } }>('/login/approval/verify', {
    onRequest, preHandler: limits.account(pendingKey), schema: { body: loginVerifyBody, response: { 200: completeAnswer, 202: pendingApproval } }
  }, async (request, reply) => {
    const factor = promptFactor()
    const { mfaToken, requestId, rememberDevice } = request.body
    const pending = await offered(request, mfaToken, factor)
    const ctx: CodeContext = { purpose: 'login', binding: pending._id }
    // The wait is no attempt and holds no lockout check: only the decided request is spent below.
    if (await factor.waitForDecision!(pending.userId, requestId, ctx, { signal: whileConnected(reply) }) === 'pending') {
      return await reply.code(202).send({ status: 'pending' })
    }
    return await flow.verifyPending(request, reply, { mfaToken, rememberDevice, method: factor.id },
      async (p) => spent(await factor.decision!(p.userId, requestId, { purpose: 'login', binding: p._id })))
  })

  routes.post('/step-up/approval/start', {
    onRequest, preHandler: stepUpPreHandler, schema: { body: stepUpStartBody, response: startAnswer }
  }, async (request) => {
    const factor = promptFactor()
    const userId = request.mfa.userId!
    const decision = await policy.decide(userId)
    policy.assertMethod(decision, factor.id)
    return await started(factor, factor.start!(userId, { purpose: 'step-up', binding: ceremonyBinding(request), request }), decision.methods)
  })

  routes.post<{ Body: { requestId: string } }>('/step-up/approval/verify', {
    onRequest, preHandler: stepUpPreHandler, schema: { body: stepUpVerifyBody, response: { 200: stepUpAnswer, 202: pendingApproval } }
  }, async (request, reply) => {
    const factor = promptFactor()
    const ctx: CodeContext = { purpose: 'step-up', binding: ceremonyBinding(request) }
    if (await factor.waitForDecision!(request.mfa.userId!, request.body.requestId, ctx, { signal: whileConnected(reply) }) === 'pending') {
      return await reply.code(202).send({ status: 'pending' })
    }
    return await flow.stepUp(request, reply, factor, async (userId) => spent(await factor.decision!(userId, request.body.requestId, ctx)))
  })
}
