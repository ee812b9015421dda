import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createWebAuthnApi } from './api.js'
import { createChallengeStore } from './challenges.js'
import type { WebAuthnContext } from './context.js'
import { createCredentialStore } from './credentials.js'
import { createWebAuthnFactor } from './factor.js'
import { resolveOptions, type WebAuthnOptions } from './options.js'
import { registerWebAuthnRoutes } from './routes.js'
import { createCollections } from './store.js'

async function fastifyMfaWebAuthn (fastify: FastifyInstance, options: WebAuthnOptions): Promise<void> {
  const opts = resolveOptions(options, fastify)
  const { mfa } = fastify
  const collections = createCollections(mfa, opts)
  const ctx: WebAuthnContext = {
    opts,
    mfa,
    credentials: createCredentialStore(collections.credentials, collections.counters),
    challenges: createChallengeStore(collections.challenges, mfa.now, opts.challengeTtl)
  }
  const api = createWebAuthnApi(ctx)
  mfa.webauthn = api
  mfa.factors.register(createWebAuthnFactor(ctx))
  mfa.registerUserData({ forget: ctx.challenges.removeForUser })
  mfa.addSummary('webauthn', async (userId) => await ctx.credentials.countByUser(userId))
  await registerWebAuthnRoutes(fastify, api, ctx.credentials, opts)
}

export const mfaWebAuthn = fp(fastifyMfaWebAuthn, {
  fastify: '5.x',
  name: '@fastify-mfa/webauthn',
  dependencies: ['@fastify-mfa/core']
})
export default mfaWebAuthn

export type { WebAuthnOptions, ResolvedWebAuthnOptions, AttestationType, ResidentKey, UserVerification, AuthenticatorPolicy } from './options.js'
export type { WebAuthnApi, RegistrationResult, CredentialDocument, CredentialView, UnknownCredentialSignal, WebAuthnSignals } from './types.js'
export { errors } from './errors.js'
// The ceremonies (options, verification, signals) run through the routes and `fastify.mfa.webauthn`;
// the functions behind them need the plugin's own context and are not exported.
