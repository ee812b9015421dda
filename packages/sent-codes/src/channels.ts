import { errors } from './errors.js'
import type { Mailer, CodeMessageInput, ResolvedSentCodesOptions, SentCodeMethod } from './types.js'
import { normalizePhone } from './normalizePhone.js'

/**
 * What differs between email and SMS: everything else (codes, limits, routes, the factor) is one
 * implementation over a channel.
 */
export interface Channel {
  method: SentCodeMethod
  kind: 'email' | 'phone'
  /** RFC 8176 values a successful check adds (`sms` marks a code sent to a phone). */
  amr: string[]
  /** The field of `GET /mfa`. */
  summaryKey: 'emailOtp' | 'smsOtp'
  /** JSON schema of `POST /mfa/<method>/setup`. */
  setupBody: object
  /** The address a setup proves: the host's email for the user, or the phone number in the body. */
  setupAddress(userId: string, body: unknown): Promise<string>
  /** Delivers a code; throws when the mail server or SMS provider did not accept it. */
  deliver(to: string, input: CodeMessageInput): Promise<void>
}

// `maxProperties` makes an unknown field a 400 rather than silently stripped. `{}` or no body at all.
const emptyBody = { type: ['object', 'null'], additionalProperties: false, maxProperties: 0, properties: {} }

export function emailChannel (email: NonNullable<ResolvedSentCodesOptions['email']>, mailer: Mailer): Channel {
  return {
    method: 'email-otp',
    kind: 'email',
    amr: ['otp'],
    summaryKey: 'emailOtp',
    setupBody: emptyBody,
    async setupAddress (userId) {
      const address = await email.getEmail(userId)
      if (typeof address !== 'string' || !address.includes('@')) throw new errors.FST_MFA_NO_ADDRESS()
      return address.trim()
    },
    async deliver (to, input) { await mailer.send({ to, ...email.templates.code(input) }) }
  }
}

export function smsChannel (sms: NonNullable<ResolvedSentCodesOptions['sms']>): Channel {
  return {
    method: 'sms-otp',
    kind: 'phone',
    amr: ['otp', 'sms'],
    summaryKey: 'smsOtp',
    setupBody: {
      type: 'object',
      additionalProperties: false,
      required: ['phone'],
      properties: { phone: { type: 'string', maxLength: 16 } }
    },
    async setupAddress (_userId, body) {
      const phone = normalizePhone((body as { phone: string }).phone)
      if (phone === null) throw new errors.FST_MFA_INVALID_PHONE()
      return phone
    },
    async deliver (to, input) { await sms.send({ to, text: sms.text(input) }) }
  }
}
