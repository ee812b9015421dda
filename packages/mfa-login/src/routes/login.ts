import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors as coreErrors } from '@fastify-mfa/core'
import { sha256, withDetails, type CodeContext, type FactorResult, type MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { errors } from '../errors.js'
import type { LoginFlow } from '../flow.js'
import type { ResolvedLoginOptions } from '../options.js'
import type { PasswordStep } from '../passwordStep.js'
import { ceremonyBinding } from '../session.js'
import * as s from './schemas.js'
import { ceremonyOptions, completeAnswer, loginAnswer } from './answers.js'

export interface LoginRouteDeps {
  flow: LoginFlow
  opts: ResolvedLoginOptions
  password: PasswordStep
  limits: RouteLimits
}

type LimitHook = (request: FastifyRequest) => Promise<void>
/** Rate-limit hooks: `ip` is shared by every limited route, `account` makes one per key function. */
export interface RouteLimits { ip: LimitHook[], account: (key: (r: FastifyRequest) => string) => LimitHook[] }

/** A registered factor of the wanted kind, or 400 (unknown methods are bad input, not a login failure). */
export function factorOf (fastify: FastifyInstance, id: string, kind: MfaFactor['kind']): MfaFactor {
  const factor = fastify.mfa.factors.get(id)
  if (!factor || factor.kind !== kind) throw new errors.FST_MFA_METHOD_NOT_ALLOWED()
  return factor
}

/** `ctx`: the login or step-up the code is for (a sent code works only there). */
export function checkCode (factor: MfaFactor, userId: string, code: string, request: FastifyRequest, ctx: CodeContext): Promise<FactorResult> {
  return factor.verifyCode!(userId, code.trim(), request, ctx)
}

export const pendingKey = (r: FastifyRequest): string => {
  const body = r.body as { mfaToken?: string } | undefined
  return `pending:${body?.mfaToken ? sha256(body.mfaToken) : r.session.get('mfa')?.pending?.id ?? r.ip}`
}

export async function loginRoutes (routes: FastifyInstance, { flow, password, limits, opts }: LoginRouteDeps): Promise<void> {
  const mfa = routes.mfa
  const onRequest = limits.ip

  // No per-account request limit here: it would let anyone who knows a login keep its owner out.
  // Wrong passwords are braked per account by `passwordStep` instead, apart for known browsers.
  if (opts.passwordRoute) {
    routes.post<{ Body: { login: string, password: string } }>('/login', {
      onRequest, schema: { body: s.loginBody, response: loginAnswer }
    }, async (request, reply) => {
      const login = request.body.login.trim()
      const user = await opts.findUserByLogin(login)
      await password.step(request, user, login, request.body.password)
      return await flow.begin(request, reply, user!.id)
    })
  }

  routes.post<{ Body: { mfaToken?: string, method: string, code: string, rememberDevice?: boolean } }>('/login/verify', {
    onRequest, schema: { body: s.verifyBody, response: { 200: completeAnswer } }, preHandler: limits.account(pendingKey)
  }, async (request, reply) => {
    const factor = factorOf(routes, request.body.method, 'code')
    return await flow.verifyPending(request, reply, request.body,
      (pending) => checkCode(factor, pending.userId, request.body.code, request, { purpose: 'login', binding: pending._id }))
  })

  routes.post<{ Params: { method: string }, Body: { mfaToken?: string } }>('/login/:method/options', {
    onRequest, schema: { params: s.methodParams, body: s.ceremonyOptionsBody, response: ceremonyOptions }
  }, async (request) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    const pending = await flow.findPending(request, request.body?.mfaToken)
    if (!pending.methods.includes(factor.id)) throw new errors.FST_MFA_METHOD_NOT_ALLOWED()
    return await factor.challenge!(pending.userId, { purpose: 'login', binding: pending._id, request })
  })

  routes.post<{ Params: { method: string }, Body: { mfaToken?: string, response: object, rememberDevice?: boolean } }>('/login/:method/verify', {
    onRequest, schema: { params: s.methodParams, body: s.ceremonyVerifyBody, response: { 200: completeAnswer } }, preHandler: limits.account(pendingKey)
  }, async (request, reply) => {
    const factor = factorOf(routes, request.params.method, 'ceremony')
    return await flow.verifyPending(request, reply, { ...request.body, method: factor.id },
      (pending) => factor.verifyResponse!(pending.userId, request.body.response, { purpose: 'login', binding: pending._id, request }))
  })

  const passkeyFactor = (): MfaFactor => {
    const factor = mfa.factors.list().find((f) => f.kind === 'ceremony' && f.phishingResistant)
    if (!factor) throw new errors.FST_MFA_METHOD_NOT_ALLOWED()
    return factor
  }

  routes.post('/passkey/options', { onRequest, schema: { body: s.noBody, response: ceremonyOptions } }, async (request) =>
    await passkeyFactor().challenge!(null, { purpose: 'passkey', binding: ceremonyBinding(request), request }))

  routes.post<{ Body: { response: object } }>('/passkey/verify', { onRequest, schema: { body: s.passkeyVerifyBody, response: { 200: completeAnswer } } }, async (request, reply) => {
    const factor = passkeyFactor()
    const result = await factor.verifyResponse!(null, request.body.response, { purpose: 'passkey', binding: ceremonyBinding(request), request })
    if (!result.ok) {
      await mfa.emit('login.passkey_failed', { method: factor.id, request, details: { reason: result.reason } })
      throw withDetails(new coreErrors.FST_MFA_INVALID_CODE(), result.details ?? {})
    }
    // Without user verification (RFC 8176 `user`) a passkey is one possession factor: not enough to sign
    // in without a password (and it must not open a second step that the same key could then answer).
    if (!result.amr.includes('user')) {
      await mfa.emit('login.passkey_failed', { userId: result.userId, method: factor.id, request, details: { reason: 'user_verification_required' } })
      throw new errors.FST_MFA_USER_VERIFICATION_REQUIRED()
    }
    return await flow.passkey(request, reply, factor, result)
  })

  routes.post('/logout', { schema: { response: { 204: { type: 'null', description: 'Signed out (a pending login is discarded too)' } } } }, async (request, reply) => {
    const state = request.session.get('mfa')
    if (state?.pending) await flow.discardPending(state.pending.id)
    if (state?.userId) await mfa.emit('logout', { userId: state.userId, request })
    await mfa.sessions.signOut(request)
    return reply.code(204).send()
  })
}
