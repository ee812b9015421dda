import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createRouteErrorHandler, withDetails } from '@fastify-mfa/core'
import { createAdmin } from './admin.js'
import { errors } from './errors.js'
import { createFlow } from './flow.js'
import { resolveOptions, type MfaLoginOptions } from './options.js'
import { createPasswordCheck } from './password.js'
import { loginRoutes } from './routes/login.js'
import { sessionRoutes } from './routes/session.js'
import { stepUpRoutes } from './routes/stepUp.js'
import { createLoginStore } from './store.js'
import './types.js'

async function fastifyMfaLogin (fastify: FastifyInstance, options: MfaLoginOptions): Promise<void> {
  let password = createPasswordCheck(options.bcryptCost ?? 10)
  const opts = resolveOptions(options, (user, pw) => password.verifyBcrypt(user, pw))
  password = createPasswordCheck(opts.bcryptCost)
  const mfa = fastify.mfa
  const store = createLoginStore(mfa, opts)
  const flow = createFlow(mfa, opts, store)
  mfa.login = {
    async begin (request, reply, userId) {
      return await reply.send(await flow.begin(request, reply, userId))
    }
  }
  mfa.admin = createAdmin(mfa, store)
  fastify.addHook('onReady', async () => { await password.warmUp() })

  await fastify.register(async function mfaLoginRoutes (routes) {
    routes.setErrorHandler(createRouteErrorHandler())
    const limited = opts.rateLimit
    const errorResponseBuilder = (_: FastifyRequest, ctx: { ttl: number }) =>
      withDetails(new errors.FST_MFA_RATE_LIMITED(), { retryAfter: Math.ceil(ctx.ttl / 1000) })
    if (limited) {
      await routes.register(rateLimit, {
        global: false,
        ...(limited.redis ? { redis: limited.redis, nameSpace: 'fastify-mfa-rl-' } : {}),
        errorResponseBuilder
      })
    }
    // Per address (IPv6 grouped by /64; X-Forwarded-For only under Fastify's trustProxy) through the
    // route config, and per account through createRateLimit(): @fastify/rate-limit runs one route
    // hook per request, so the second limit is checked here.
    const limits = {
      ip: limited ? { max: limited.max, timeWindow: limited.timeWindow, ipv6Subnet: 64 } : false,
      account: (key: (r: FastifyRequest) => string) => {
        if (!limited) return []
        const check = routes.createRateLimit({ max: limited.accountMax, timeWindow: limited.timeWindow, keyGenerator: key })
        return [async function accountRateLimit (request: FastifyRequest) {
          const result = await check(request)
          if (!result.isAllowed && result.isExceeded) throw errorResponseBuilder(request, { ttl: result.ttl })
        }]
      }
    }
    await loginRoutes(routes, { flow, opts, password, limits: limits as never })
    await stepUpRoutes(routes, { flow, limits: limits as never })
    await sessionRoutes(routes)
  }, { prefix: opts.prefix })
}

export const mfaLogin = fp(fastifyMfaLogin, {
  fastify: '5.x',
  name: '@fastify-mfa/mfa-login',
  dependencies: ['@fastify-mfa/core', '@fastify/session']
})
export default mfaLogin
export { errors } from './errors.js'
export type { MfaLoginOptions, LoginUser, RolePolicy } from './options.js'
export type { LoginAnswer, LoginApi, AdminApi } from './types.js'
