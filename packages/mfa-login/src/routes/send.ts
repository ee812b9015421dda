import type { FastifyInstance } from 'fastify'
import type { LoginFlow } from '../flow.js'
import { ceremonyBinding } from '../session.js'
import { pendingKey, type RouteLimits } from './login.js'
import * as s from './schemas.js'

const sendAnswer = {
  200: {
    type: 'object',
    additionalProperties: false,
    required: ['sentTo', 'expiresAt', 'resendAfter'],
    properties: { sentTo: { type: 'string' }, expiresAt: { type: 'string' }, resendAfter: { type: 'string' } }
  }
} as const

/**
 * Codes that are sent (email, SMS): `POST /auth/login/send` for a pending login, `POST
 * /auth/step-up/send` for a signed-in user. Any registered factor with a `send` step works here; the
 * code is then checked by `POST /auth/login/verify` or `POST /auth/step-up/verify`.
 */
export async function sendRoutes (routes: FastifyInstance, { flow, limits }: { flow: LoginFlow, limits: RouteLimits }): Promise<void> {
  const onRequest = limits.ip
  routes.post<{ Body: { mfaToken?: string, method: string } }>('/login/send', {
    onRequest, preHandler: limits.account(pendingKey), schema: { body: s.loginSendBody, response: sendAnswer }
  }, async (request) => await flow.sendForLogin(request, request.body))

  routes.post<{ Body: { method: string } }>('/step-up/send', {
    onRequest,
    preHandler: [routes.mfa.guards.signedInOrEnrolling, ...limits.account((r) => `user:${r.mfa.userId}`)],
    schema: { body: s.stepUpSendBody, response: sendAnswer }
  }, async (request) => await flow.sendForStepUp(request, request.body.method, ceremonyBinding(request)))
}
