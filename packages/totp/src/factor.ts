import type { MfaApi } from '@fastify-mfa/core'
import type { MfaFactor } from '@fastify-mfa/core/plugin-kit'
import type { CodeChecker } from './checkCode.js'
import { normalizeCode } from './normalizeCode.js'
import { secretContext, type TotpStore } from './store.js'

/** The TOTP factor as the login flow sees it (`amr: otp`, RFC 8176). */
export function createTotpFactor (mfa: MfaApi, store: TotpStore, checkCode: CodeChecker, digits: number): MfaFactor {
  return {
    id: 'totp',
    amr: 'otp',
    kind: 'code',
    isEnrolled: async (userId) => (await store.findSecret(userId)) !== null,
    enrolledUserIds: async () => await store.enrolledUserIds(),
    async verifyCode (userId, input, request) {
      const code = normalizeCode(input, digits)
      if (code === null) return { ok: false, reason: 'invalid' }
      const enrolled = await store.findSecret(userId)
      if (!enrolled) return { ok: false, reason: 'not_enrolled' }
      const secret = mfa.crypto.decrypt(enrolled.secret, secretContext(userId))
      const outcome = await checkCode(userId, secret, enrolled.secretRef, code, request)
      if (outcome !== 'ok') return { ok: false, reason: outcome }
      return { ok: true, userId, amr: ['otp'], aal: 2 }
    },
    // Admin reset: the caller (fastify.mfa.admin.reset) bumps the security stamp and audits it.
    async remove (userId) {
      await store.remove(userId)
    }
  }
}
