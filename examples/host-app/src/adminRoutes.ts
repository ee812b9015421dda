import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { AppConfig } from './config.js'
import { errors } from './errors.js'
import type { createUsers } from './users.js'

interface AdminRouteOptions {
  config: AppConfig
  users: ReturnType<typeof createUsers>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Only users with the admin role: others get 403 `APP_ADMIN_ONLY` (see `adminRoleCheck`). */
    adminOnly?: boolean
  }
}

/**
 * The role check of `config: { adminOnly: true }` routes. Registered before @fastify-mfa/core, so it
 * runs before core's `config: { mfa }` guard: a non-admin is told the route is not for them rather
 * than asked for a security key. A request without a session is left to that guard (401).
 */
export function adminRoleCheck (users: ReturnType<typeof createUsers>): onRequestAsyncHookHandler {
  return async function adminRoleCheck (request: FastifyRequest) {
    if (request.routeOptions.config?.adminOnly !== true || request.mfa.userId === null) return
    if (!await users.isAdmin(request.mfa.userId)) throw new errors.APP_ADMIN_ONLY()
  }
}

/** The admin area's JSON routes: support-assisted recovery (SPEC §8). */
export async function adminRoutes (api: FastifyInstance, { config, users }: AdminRouteOptions): Promise<void> {
  api.post<{ Body: { email: string, reason: string } }>('/admin/users/reset-mfa', {
    // A support reset hands an account to whoever holds its password: only an admin who proved a
    // phishing-resistant factor in the last MFA_FRESH_AGE seconds may do it.
    config: { adminOnly: true, mfa: { aal: 3, maxAge: config.freshAge, methods: ['webauthn'] } },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'reason'],
        properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, reason: { type: 'string', minLength: 1, maxLength: 500 } }
      }
    }
  }, async (request, reply) => {
    const admin = await users.byId(request.mfa.userId!)
    const user = await users.byEmail(request.body.email)
    if (!user) throw new errors.APP_USER_NOT_FOUND()
    await api.mfa.admin.reset(user.id, { actor: admin!.email, reason: request.body.reason, request })
    request.log.info({ actor: admin!.email, userId: user.id }, 'support reset of second factors')
    return reply.code(204).send()
  })
}
