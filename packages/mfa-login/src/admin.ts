import type { MfaApi } from '@fastify-mfa/core'
import type { LockoutStore } from './lockoutStore.js'
import type { AdminApi } from './types.js'

/** Support-assisted recovery (SPEC §5): the user signs in with the password alone and enrols again. */
export function createAdmin (mfa: MfaApi, store: LockoutStore): AdminApi {
  return {
    async reset (userId, { actor, reason, request }) {
      if (typeof actor !== 'string' || actor.length === 0 || typeof reason !== 'string' || reason.length === 0) {
        throw new TypeError('@fastify-mfa/mfa-login: admin.reset(userId, { actor, reason }) needs an actor and a reason')
      }
      const removed: string[] = []
      for (const factor of mfa.factors.list()) {
        if (await factor.isEnrolled(userId)) removed.push(factor.id)
        await factor.remove(userId, request)
      }
      const devices = mfa.devices ? await mfa.devices.revokeAll(userId, request) : 0
      await store.reset(userId)
      // Pending logins and every session of the user end (the admin's own session is not theirs).
      await mfa.securityStampChanged(userId, { request, reason: 'admin_reset', endCurrent: true })
      await mfa.emit('recovery.admin_reset', { userId, request, details: { actor, reason, removed, devices } })
    }
  }
}
