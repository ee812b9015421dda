import type { MfaApi } from '@fastify-mfa/core'
import type { MfaFactor } from '@fastify-mfa/core/plugin-kit'
import type { Channel } from './channels.js'
import type { Codes } from './codes.js'
import { errors } from './errors.js'
import { normalizeSentCode } from './normalizeSentCode.js'
import { addressContext, type SentCodeStore } from './store.js'

const SENT_PURPOSES = new Set(['login', 'step-up'])

/**
 * A sent-code factor as the login flow sees it: `email-otp` (`amr: otp`) or `sms-otp` (`amr: otp,
 * sms`, RFC 8176), AAL 2. `send` mails or texts a code for one login or step-up; `verifyCode` accepts
 * it only there. Wrong codes count toward the pending login and the account lockout in mfa-login.
 */
export function createSentCodeFactor (mfa: MfaApi, channel: Channel, store: SentCodeStore, codes: Codes): MfaFactor {
  const method = channel.method
  return {
    id: method,
    amr: channel.amr[channel.amr.length - 1]!,
    kind: 'code',
    isEnrolled: async (userId) => (await store.findEnrolment(method, userId)) !== null,
    enrolledUserIds: async () => await store.enrolledUserIds(method),

    async send (userId, ctx) {
      if (!SENT_PURPOSES.has(ctx.purpose)) throw new TypeError('@fastify-mfa/sent-codes: send() purpose must be "login" or "step-up"')
      const enrolment = await store.findEnrolment(method, userId)
      if (!enrolment) throw new errors.FST_MFA_NOT_ENROLLED()
      const address = mfa.crypto.decrypt(enrolment.address, addressContext(method, userId))
      return await codes.issue(channel, { userId, purpose: ctx.purpose, binding: ctx.binding, address, request: ctx.request })
    },

    async verifyCode (userId, input, request, ctx) {
      // A sent code belongs to the login or step-up it was sent for: without one, nothing matches.
      if (!ctx || !SENT_PURPOSES.has(ctx.purpose)) return { ok: false, reason: 'invalid' }
      const code = normalizeSentCode(input)
      if (code === null) return { ok: false, reason: 'invalid' }
      if (!await store.findEnrolment(method, userId)) return { ok: false, reason: 'not_enrolled' }
      const result = await codes.check({ method, userId, purpose: ctx.purpose, binding: ctx.binding, code, request })
      if (result.outcome === 'ok') return { ok: true, userId, amr: [...channel.amr], aal: 2 }
      return { ok: false, reason: result.outcome }
    },

    // Admin reset and account deletion: the caller bumps the security stamp and audits it.
    async remove (userId) { await store.removeEnrolment(method, userId) }
  }
}
