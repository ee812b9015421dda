import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createApprovals } from './approvals.js'
import { createApprovalFactor } from './factor.js'
import { createApprovalLimits } from './limits.js'
import { resolveOptions } from './options.js'
import { registerApprovalRoutes } from './routes.js'
import { createApprovalStore } from './store.js'
import { createStreamHub } from './streams.js'
import type { DeviceApprovalOptions } from './types.js'
import { createWaiters } from './waiters.js'

async function fastifyMfaDeviceApproval (fastify: FastifyInstance, options: DeviceApprovalOptions): Promise<void> {
  const opts = resolveOptions(options)
  const mfa = fastify.mfa
  const store = createApprovalStore(mfa)
  const limits = createApprovalLimits(mfa, store.limits, opts)
  const waiters = createWaiters(opts.pollInterval)
  const hub = createStreamHub(mfa, store, opts, fastify.log)
  const factor = createApprovalFactor(mfa, { store, limits, waiters, hub, opts })
  mfa.factors.register(factor)
  mfa.addSummary('deviceApproval', async (userId) => ({ available: await factor.isEnrolled(userId) }))
  // A security change ends what the old state opened: open requests go (pending logins go in mfa-login).
  mfa.registerUserData({ securityChanged: store.discardForUser, forget: store.forget })
  // Before the server closes: open streams and waiting verifies would hold it open.
  fastify.addHook('preClose', async () => {
    waiters.close()
    await hub.closeAll()
  })
  const approvals = createApprovals(mfa, { store, limits, waiters, hub, opts })
  await registerApprovalRoutes(fastify, { approvals, hub, prefix: opts.prefix ?? mfa.options.prefix })
}

export const mfaDeviceApproval = fp(fastifyMfaDeviceApproval, {
  fastify: '5.x',
  name: '@fastify-mfa/device-approval',
  dependencies: ['@fastify-mfa/core']
})
export default mfaDeviceApproval

export type { DeviceApprovalOptions, ApprovalPurpose, ApprovalView, RequestDocument, DecisionDocument, LimitDocument } from './types.js'
export type { DecisionAnswer } from './approvals.js'
export { errors } from './errors.js'
export { approvalCollections, approvalIndexes } from './store.js'
export { approvalNumber } from './approvalNumber.js'
