import type { MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { authenticationOptions, verifyAuthentication } from './authentication.js'
import type { WebAuthnContext } from './context.js'

/** The `webauthn` factor mfa-login offers: security keys and passkeys, phishing-resistant. */
export function createWebAuthnFactor (ctx: WebAuthnContext): MfaFactor {
  return {
    id: 'webauthn',
    amr: 'hwk',
    kind: 'ceremony',
    phishingResistant: true,
    isEnrolled: async (userId) => await ctx.credentials.hasAny(userId),
    enrolledUserIds: async () => await ctx.credentials.userIds(),
    challenge: async (userId, ceremony) => await authenticationOptions(ctx, userId, ceremony),
    verifyResponse: async (userId, response, ceremony) => await verifyAuthentication(ctx, userId, response, ceremony),
    async remove (userId) {
      await ctx.credentials.removeAll(userId)
    }
  }
}
