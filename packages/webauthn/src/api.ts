import type { FastifyRequest } from 'fastify'
import { authenticationOptions, verifyAuthentication } from './authentication.js'
import type { WebAuthnContext } from './context.js'
import { viewOf } from './credentials.js'
import { registrationOptions, verifyRegistration } from './registration.js'
import type { WebAuthnApi } from './types.js'

export function createWebAuthnApi (ctx: WebAuthnContext): WebAuthnApi {
  const { mfa, credentials } = ctx
  return {
    authenticationOptions: async (userId, ceremony) => await authenticationOptions(ctx, userId, ceremony),
    verifyAuthentication: async (userId, response, ceremony) => await verifyAuthentication(ctx, userId, response, ceremony),
    registrationOptions: async (request, userId, binding, name) => await registrationOptions(ctx, request, userId, binding, name),
    async register (request, userId, binding, response, name) {
      const firstFactor = !(await mfa.factors.hasPrimary(userId))
      const credential = await verifyRegistration(ctx, request, userId, binding, response, name)
      await credentials.insert(credential)
      await mfa.emit('webauthn.registered', {
        userId,
        method: 'webauthn',
        request,
        details: { credentialId: credential._id, name: credential.name, deviceType: credential.deviceType, aaguid: credential.aaguid }
      })
      await mfa.factorAdded(userId, { request, method: 'webauthn' })
      const backupCodes = firstFactor ? await mfa.recoveryCodes?.issueIfNone(userId, request) : null
      return { credential: viewOf(credential), ...(backupCodes ? { backupCodes } : {}) }
    },
    list: async (userId) => (await credentials.listByUser(userId)).map(viewOf),
    async remove (request: FastifyRequest, userId, credentialId) {
      if (!await credentials.remove(userId, credentialId)) return false
      // Anything trusted because of this key (other sessions, remembered devices) ends.
      await mfa.factorRemoved(userId, { request, method: 'webauthn', reason: 'webauthn.removed' })
      await mfa.emit('webauthn.removed', { userId, method: 'webauthn', request, details: { credentialId } })
      return true
    }
  }
}
