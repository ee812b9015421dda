import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createCodeChecker } from './checkCode.js'
import { createTotpFactor } from './factor.js'
import { resolveOptions } from './options.js'
import { registerTotpRoutes } from './routes.js'
import { createTotpStore } from './store.js'
import type { TotpOptions } from './types.js'

async function fastifyMfaTotp (fastify: FastifyInstance, options: TotpOptions): Promise<void> {
  const opts = resolveOptions(options)
  const store = createTotpStore(fastify.mfa)
  const checkCode = createCodeChecker(fastify.mfa, store, opts)
  const factor = createTotpFactor(fastify.mfa, store, checkCode, opts.digits)
  fastify.mfa.factors.register(factor)
  fastify.mfa.addSummary('totp', async (userId) => await factor.isEnrolled(userId))
  await registerTotpRoutes(fastify, { store, checkCode, opts, prefix: opts.prefix ?? fastify.mfa.options.prefix })
}

export const mfaTotp = fp(fastifyMfaTotp, {
  fastify: '5.x',
  name: '@fastify-mfa/totp',
  dependencies: ['@fastify-mfa/core']
})
export default mfaTotp

export type { TotpOptions, TotpAlgorithm, TotpSecretDocument, TotpSetupDocument, TotpStepDocument } from './types.js'
export { totpErrors } from './errors.js'
export { totpCollections, totpIndexes } from './store.js'
export { generateTotpCode, generateTotpSecret, verifyTotpCode, totpUri, type TotpParameters } from './totpCode.js'
export { normalizeCode } from './normalizeCode.js'
