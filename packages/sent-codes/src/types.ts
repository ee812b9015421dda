import type { SecurityNotification } from '@fastify-mfa/core'
import type { EncryptedValue } from '@fastify-mfa/core/plugin-kit'
import type { Transporter } from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js'

/** The two factors of this package: one implementation, two channels. */
export type SentCodeMethod = 'email-otp' | 'sms-otp'

/** What a code is for: a pending login, a step-up, or proving the channel at enrolment. */
export type CodePurpose = 'login' | 'step-up' | 'enrol'

/** What the code templates get. */
export interface CodeMessageInput {
  code: string
  method: SentCodeMethod
  purpose: CodePurpose
  /** @unit minutes */
  expiresInMinutes: number
  /** The `appName` option, or null. */
  appName: string | null
}

/** One email: plain text and HTML (the HTML is what mail clients show; the text is the fallback). */
export interface MailContent {
  subject: string
  text: string
  html: string
}

export interface EmailTemplates {
  /** The mail that carries a code. @default a short text and HTML mail (HTML-escaped) */
  code?: (input: CodeMessageInput) => MailContent
  /** A security notification (new sign-in, factor added …). Return null to send none of that type. */
  notification?: (notification: SecurityNotification, appName: string | null) => MailContent | null
}

export interface EmailOptions {
  /**
   * Where mails go: an SMTP URL (`smtp://user:pass@host:587`, `smtps://…`), nodemailer transport
   * options, or a nodemailer `Transporter` (any transport: SES, a pool …). Required.
   */
  transport: string | Transporter | SMTPTransport.Options
  /** The `From` address (`"Acme" <no-reply@acme.example>`). Required. */
  from: string
  /** The host's address for a user, or null when it has none. Codes go to the address proven at enrolment. Required. */
  getEmail: (userId: string) => string | null | Promise<string | null>
  templates?: EmailTemplates
}

export interface SmsOptions {
  /** Delivers one text message (the host's provider). Throw when it was not accepted. Required. */
  send: (message: { to: string, text: string }) => Promise<void>
  /** The text of a code message. @default '<code> is your verification code. It expires in 10 minutes. Do not share it.' */
  text?: (input: CodeMessageInput) => string
}

/** Send limits; each answered 429 `FST_MFA_RATE_LIMITED` with `retryAfter`. */
export interface SendLimits {
  /** Seconds before another code can be sent for the same login, step-up or setup. @default 30 // seconds */
  interval?: number
  /** Codes per login, step-up session or setup (per method) within an hour. @default 5 */
  perBinding?: number
  /** Codes per account within an hour (both methods, all purposes). @default 10 */
  perAccountPerHour?: number
  /** Codes to one address (email or phone number, across accounts) within an hour. @default 10 */
  perAddressPerHour?: number
}

/** Options of @fastify-mfa/sent-codes. At least one of `email` and `sms` is required. */
export interface SentCodesOptions {
  /** Enables the `email-otp` factor, `fastify.mfa.mailer` and the notification mails. */
  email?: EmailOptions
  /** Enables the `sms-otp` factor. */
  sms?: SmsOptions
  /** How long a sent code works. @default 600 // seconds */
  codeTtl?: number
  /** Wrong codes one sent code tolerates before it is spent. @default 5 */
  maxAttempts?: number
  sendLimits?: SendLimits
  /** Security notifications by email (needs `email`). @default true */
  notifications?: boolean
  /** Named in subjects and messages (`Acme`). @default null */
  appName?: string
  /** Prefix of the enrolment routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
}

export interface ResolvedSentCodesOptions {
  email: (Omit<EmailOptions, 'templates'> & { templates: Required<EmailTemplates> }) | null
  sms: Required<SmsOptions> | null
  codeTtl: number
  maxAttempts: number
  sendLimits: Required<SendLimits>
  notifications: boolean
  appName: string | null
  prefix: string | null
}

/** `fastify.mfa.mailer`: the host's own mails through the same transport. */
export interface Mailer {
  send(message: { to: string, subject: string, text: string, html?: string }): Promise<void>
}

/** `mfa_sent_code_factors`: a proven address, `_id` `<method>:<userId>`. */
export interface EnrolmentDocument {
  _id: string
  userId: string
  method: SentCodeMethod
  /** The address, encrypted (personal data). */
  address: EncryptedValue
  /** The masked address, for `GET /mfa` without decrypting. */
  sentTo: string
  enabledAt: Date
}

/** `mfa_sent_codes`: the one live code of a login, step-up or setup; a new send replaces it. */
export interface CodeDocument {
  _id: string
  userId: string
  method: SentCodeMethod
  purpose: CodePurpose
  /** Random id of this code: its attempts and its use are claimed under it. */
  codeId: string
  /** HMAC-SHA-256 of the code keyed with `salt` (base64url). */
  hash: string
  salt: string
  sentTo: string
  /** Enrolment only: the address being proven, encrypted. */
  address?: EncryptedValue
  createdAt: Date
  expiresAt: Date
}

/** `mfa_sent_code_claims`: `<codeId>:<n>` per attempt, `<codeId>:used` for the one use. */
export interface ClaimDocument {
  _id: string
  userId: string
  expiresAt: Date
}

/** `mfa_sent_code_sends`: one per send, `<bucket>:<hour>:<n>`. */
export interface SendSlotDocument {
  _id: string
  bucket: string
  userId: string
  at: Date
  expiresAt: Date
}

declare module '@fastify-mfa/core' {
  interface MfaApi {
    /** Present when @fastify-mfa/sent-codes is registered with `email`. */
    mailer?: Mailer
  }
  // The events of each sent-code method carry the masked address, never the code.
  interface MfaEventMap {
    'email-otp.sent': { purpose: string, sentTo: string, expiresAt: Date }
    'sms-otp.sent': { purpose: string, sentTo: string, expiresAt: Date }
    'email-otp.delivery_failed': { purpose: string, sentTo: string, failure: string }
    'sms-otp.delivery_failed': { purpose: string, sentTo: string, failure: string }
    'email-otp.replay': { purpose: string }
    'sms-otp.replay': { purpose: string }
    'email-otp.confirm_refused': { attemptsLeft: number }
    'sms-otp.confirm_refused': { attemptsLeft: number }
    'email-otp.enabled': { sentTo: string, replaced: boolean }
    'sms-otp.enabled': { sentTo: string, replaced: boolean }
    'email-otp.disabled': Record<string, never>
    'sms-otp.disabled': Record<string, never>
  }
}
