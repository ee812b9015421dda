import type { FastifyRequest } from 'fastify'
import type { EncryptedValue } from '@fastify-mfa/core/plugin-kit'

/** The HMAC of RFC 6238 §1.2: SHA-1 is what every authenticator app supports. */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512'

/** Options of @fastify-mfa/totp. */
export interface TotpOptions {
  /** Shown in the authenticator app next to the account (the otpauth `issuer`). Required. */
  issuer: string
  /** @default 'SHA1' */
  algorithm?: TotpAlgorithm
  /** @default 6 */
  digits?: 6 | 8
  /** Length of a time step. @default 30 // seconds */
  period?: number
  /** Time steps of clock drift accepted each way (RFC 6238 §5.2). @default 1 // steps */
  window?: number
  /** How long a started setup can be confirmed. @default 600 // seconds */
  setupTtl?: number
  /** The account name in the otpauth label, e.g. the user's email. @default the user id */
  accountName?: (request: FastifyRequest) => string | Promise<string>
  /** Prefix of the routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
}

export interface ResolvedTotpOptions {
  issuer: string
  algorithm: TotpAlgorithm
  digits: 6 | 8
  period: number
  window: number
  setupTtl: number
  accountName: ((request: FastifyRequest) => string | Promise<string>) | null
  prefix: string | null
}

/** `mfa_totp`: the active secret of a user (`_id` is the user id). */
export interface TotpSecretDocument {
  _id: string
  secret: EncryptedValue
  /** Random id of this secret: replay markers belong to one secret, so a new secret starts clean. */
  secretRef: string
  enabledAt: Date
}

/** `mfa_totp_setups`: a secret waiting for its first code (`_id` is the user id). */
export interface TotpSetupDocument {
  _id: string
  secret: EncryptedValue
  secretRef: string
  createdAt: Date
  expiresAt: Date
}

/** `mfa_totp_steps`: one per accepted time step, `_id` `<userId>:<secretRef>:<timeStep>`. */
export interface TotpStepDocument {
  _id: string
  userId: string
  secretRef: string
  timeStep: number
  expiresAt: Date
}

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'totp.setup_started': { expiresAt: Date }
    'totp.confirm_refused': { reason: string }
    'totp.enabled': { replaced: boolean }
    'totp.disabled': Record<string, never>
    'totp.replay': Record<string, unknown>
  }
}
