import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { createRouteErrorHandler, setupMfaRoutes, withDetails } from '@fastify-mfa/core/plugin-kit'
import { createAdmin } from './admin.js'
import { errors } from './errors.js'
import { createFlow } from './flow.js'
import { createLockout } from './lockout.js'
import { createPolicy } from './policy.js'
import { resolveOptions, type MfaLoginOptions } from './options.js'
import { createPasswordCheck } from './password.js'
import { createPasswordBrake } from './brake.js'
import { createKnownDevices } from './knownDevice.js'
import { createPasswordStep } from './passwordStep.js'
import { loginRoutes, type RouteLimits } from './routes/login.js'
import { sessionRoutes } from './routes/session.js'
import { stepUpRoutes } from './routes/stepUp.js'
import { sendRoutes } from './routes/send.js'
import { approvalRoutes } from './routes/approval.js'
import { createLockoutStore } from './lockoutStore.js'
import { createLoginStore } from './store.js'
import './types.js'

async function fastifyMfaLogin (fastify: FastifyInstance, options: MfaLoginOptions): Promise<void> {
  // resolveOptions rejects a bad bcryptCost before the check is ever used.
  const passwordCheck = createPasswordCheck(options.bcryptCost ?? 10)
  const opts = resolveOptions(options, passwordCheck.verifyBcrypt)
  const mfa = fastify.mfa
  const store = createLoginStore(mfa, opts)
  const lockoutStore = createLockoutStore(mfa, opts, store.relock)
  const policy = createPolicy(mfa, opts)
  mfa.policyMethods = async (userId) => (await policy.decide(userId)).methods
  const brake = opts.passwordBrake ? createPasswordBrake(mfa, opts.passwordBrake) : null
  const known = opts.passwordBrake ? createKnownDevices(mfa, opts.passwordBrake) : null
  const password = createPasswordStep(mfa, opts, passwordCheck, brake, known)
  const flow = createFlow(mfa, opts, store, policy, createLockout(mfa, lockoutStore, opts.lockout.maxConsecutive), password.issueDeviceCookie)
  // A second step begun before a security change cannot be finished after it; account deletion removes the rest.
  mfa.registerUserData({
    securityChanged: store.discardForUser,
    forget: async (userId) => { await store.discardForUser(userId); await lockoutStore.forget(userId) }
  })
  const errorHandler = createRouteErrorHandler()
  mfa.login = {
    async begin (request, reply, userId) {
      try {
        return await reply.send(await flow.begin(request, reply, userId))
      } catch (err) {
        // A refusal (423 locked, 401 unknown user …) keeps the suite's shape and headers (`code`,
        // `retryAfter`, `Retry-After`), whatever the host's own error handler would make of it.
        return errorHandler(err as FastifyError, request, reply)
      }
    }
  }
  mfa.admin = createAdmin(mfa, lockoutStore)
  fastify.addHook('onReady', async () => {
    policy.checkRoles()
    await passwordCheck.warmUp()
  })

  await fastify.register(async function mfaLoginRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/mfa-login' })
    const limited = opts.rateLimit
    const errorResponseBuilder = (_: FastifyRequest, ctx: { ttl: number }) =>
      withDetails(new errors.FST_MFA_RATE_LIMITED(), { retryAfter: Math.ceil(ctx.ttl / 1000) })
    if (limited) {
      await routes.register(rateLimit, {
        global: false,
        ...(limited.redis ? { redis: limited.redis, nameSpace: 'fastify-mfa-rl-' } : { cache: limited.cache }),
        errorResponseBuilder
      })
    }
    // One count per address (IPv6 grouped by /64; X-Forwarded-For only under Fastify's trustProxy)
    // across every login, verify and step-up route, and one per account. createRateLimit() is used
    // because route-level rate-limit configs count each route apart, and only one runs per request.
    const enforce = (check: ReturnType<typeof routes.createRateLimit>) => async function mfaRateLimit (request: FastifyRequest) {
      const result = await check(request)
      if (!result.isAllowed && result.isExceeded) throw errorResponseBuilder(request, { ttl: result.ttl })
    }
    const limits: RouteLimits = limited
      ? {
          ip: [enforce(routes.createRateLimit({ max: limited.max, timeWindow: limited.timeWindow, ipv6Subnet: 64 }))],
          account: (key) => [enforce(routes.createRateLimit({ max: limited.accountMax, timeWindow: limited.timeWindow, keyGenerator: key }))]
        }
      : { ip: [], account: () => [] }
    await loginRoutes(routes, { flow, opts, password, limits })
    await stepUpRoutes(routes, { flow, limits })
    await sendRoutes(routes, { flow, limits })
    await approvalRoutes(routes, { flow, policy, limits })
    await sessionRoutes(routes, policy)
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
