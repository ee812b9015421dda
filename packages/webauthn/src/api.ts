import type { FastifyRequest } from 'fastify'
import { authenticationOptions, unknownCredentialSignal, verifyAuthentication } from './authentication.js'
import { autoUpgradeOpen } from './autoUpgrade.js'
import type { WebAuthnContext } from './context.js'
import { viewOf } from './credentials.js'
import { errors } from './errors.js'
import { registrationOptions, verifyRegistration } from './registration.js'
import { signalsFor } from './signals.js'
import type { CredentialDocument } from './store.js'
import type { WebAuthnApi } from './types.js'

const eventDetails = (credential: CredentialDocument) => ({
  credentialId: credential._id,
  name: credential.name,
  deviceType: credential.deviceType,
  backupEligible: credential.backupEligible,
  aaguid: credential.aaguid
})

export function createWebAuthnApi (ctx: WebAuthnContext): WebAuthnApi {
  const { mfa, credentials, opts } = ctx
  const view = (credential: CredentialDocument) => viewOf(credential, opts.authenticatorNames)
  const autoUpgradeAvailable = (request: FastifyRequest, userId: string): boolean =>
    opts.autoUpgrade && autoUpgradeOpen(request.mfa, userId, mfa.nowSeconds(), opts.autoUpgradeWindow)
  const assertAutoUpgrade = (request: FastifyRequest, userId: string): void => {
    if (!autoUpgradeAvailable(request, userId)) throw new errors.FST_MFA_AUTO_UPGRADE_UNAVAILABLE()
  }

  return {
    authenticationOptions: async (userId, ceremony) => await authenticationOptions(ctx, userId, ceremony),
    verifyAuthentication: async (userId, response, ceremony) => await verifyAuthentication(ctx, userId, response, ceremony),
    registrationOptions: async (request, userId, binding, name) => await registrationOptions(ctx, request, userId, binding, name),
    async register (request, userId, binding, response, name) {
      const firstFactor = !(await mfa.factors.hasPrimary(userId))
      const credential = await verifyRegistration(ctx, request, userId, binding, response, name)
      await credentials.insert(credential)
      await mfa.emit('webauthn.registered', { userId, method: 'webauthn', request, details: eventDetails(credential) })
      await mfa.factorAdded(userId, { request, method: 'webauthn' })
      const backupCodes = firstFactor ? await mfa.recoveryCodes?.issueIfNone(userId, request) : null
      return { credential: view(credential), ...(backupCodes ? { backupCodes } : {}) }
    },
    autoUpgradeAvailable,
    async autoUpgradeOptions (request, userId, binding) {
      assertAutoUpgrade(request, userId)
      return await registrationOptions(ctx, request, userId, binding, undefined, 'register-conditional')
    },
    async autoRegister (request, userId, binding, response) {
      assertAutoUpgrade(request, userId)
      const credential = await verifyRegistration(ctx, request, userId, binding, response, undefined, 'register-conditional')
      await credentials.insert(credential)
      // Created without a dialog: the user is told (audit event, and core's `factor_added` notification).
      await mfa.emit('webauthn.auto_registered', { userId, method: 'webauthn', request, details: eventDetails(credential) })
      await mfa.factorAdded(userId, { request, method: 'webauthn' })
      return { credential: view(credential) }
    },
    list: async (userId) => (await credentials.listByUser(userId)).map(view),
    async remove (request: FastifyRequest, userId, credentialId) {
      if (!await credentials.remove(userId, credentialId)) return false
      // Anything trusted because of this key (other sessions, remembered devices) ends.
      await mfa.factorRemoved(userId, { request, method: 'webauthn', reason: 'webauthn.removed' })
      await mfa.emit('webauthn.removed', { userId, method: 'webauthn', request, details: { credentialId } })
      return true
    },
    signals: async (request, userId) => await signalsFor(ctx, request, userId),
    unknownCredentialSignal: async (response) => await unknownCredentialSignal(ctx, response)
  }
}
