import type { FastifyRequest } from 'fastify'
import type { Aal } from './state.js'

/** The outcome of checking a second factor. */
export type FactorResult =
  | { ok: true, userId: string, amr: string[], aal: Exclude<Aal, 0> }
  | {
    ok: false
    /** `denied`: a prompt factor's request was refused by the user (or answered with the wrong number). */
    reason: 'invalid' | 'replay' | 'expired' | 'clone_suspected' | 'not_enrolled' | 'denied'
    /** Safe to show the client next to the refusal (e.g. a WebAuthn `signal` for the browser). */
    details?: Record<string, unknown>
  }

/** Where a ceremony (WebAuthn) challenge belongs: a pending login, a session's step-up, or a passkey sign-in. */
export interface CeremonyContext {
  purpose: 'login' | 'step-up' | 'passkey'
  /** The pending login id or session id the challenge is bound to. */
  binding: string
  request: FastifyRequest
}

/** Where a code belongs: the pending login it was sent or asked for, or the session's step-up. */
export interface CodeContext {
  purpose: 'login' | 'step-up'
  /** The pending login id, or the session's binding (as for ceremonies). */
  binding: string
}

/** Sending a code (email, SMS): for which login or step-up, from which request. */
export interface SendContext extends CodeContext {
  request: FastifyRequest
}

/** What a send tells the client: where the code went (masked), until when it works, when another may be sent. */
export interface SendResult {
  /** Masked, e.g. `a•••@example.com`, `+•• ••• ••• 42`. */
  sentTo: string
  expiresAt: Date
  resendAfter: Date
}

/** What a prompt's start tells the signing-in client: the request to wait for and the number to show. */
export interface PromptStart {
  /** Random id of this request; a new start for the same login or step-up replaces it. */
  requestId: string
  /** Two digits the signing-in screen shows and the approving device must type (number matching). */
  number: number
  expiresAt: Date
}

/**
 * A second factor as the login flow sees it. Factor plugins register one; mfa-login offers and
 * verifies whatever is registered, so a new factor needs no change there.
 */
export interface MfaFactor {
  /** Stable id used in routes and policies: `totp`, `backup-code`, `webauthn`. */
  id: string
  /** RFC 8176 method reference added to `amr` on success. */
  amr: string
  /**
   * `code`: the user types a code; `ceremony`: options are fetched, then a signed response is verified;
   * `prompt`: the user approves the sign-in elsewhere (`start`, then `waitForDecision` and `decision`).
   */
  kind: 'code' | 'ceremony' | 'prompt'
  /** A recovery factor is offered only to users who also have a primary factor. */
  recovery?: boolean
  /**
   * Offered only next to a primary factor, and never counts as one (enrolment, `hasPrimary`, stats),
   * yet usable for step-up and listed where a second factor is asked for: approving on a signed-in device.
   */
  companion?: boolean
  /** Satisfies AAL 3 policies (WebAuthn). */
  phishingResistant?: boolean
  isEnrolled(userId: string): Promise<boolean>
  /** Every user id with this factor (for `fastify.mfa.stats()`). */
  enrolledUserIds(): Promise<string[]>
  /** `ctx` says which login or step-up the code is for (a sent code works only there). */
  verifyCode?(userId: string, code: string, request: FastifyRequest, ctx?: CodeContext): Promise<FactorResult>
  /**
   * Code factors whose code is sent (email, SMS): sends a new code for `ctx`, and the previous one
   * stops working. Throws 429 `FST_MFA_RATE_LIMITED` (with `retryAfter`) past the factor's send limits
   * and 502 `FST_MFA_DELIVERY_FAILED` when delivery fails, leaving no usable code behind.
   */
  send?(userId: string, ctx: SendContext): Promise<SendResult>
  /** Ceremony factors: options for the client. `userId` is null for a passkey sign-in. */
  challenge?(userId: string | null, ctx: CeremonyContext): Promise<object>
  verifyResponse?(userId: string | null, response: unknown, ctx: CeremonyContext): Promise<FactorResult>
  /**
   * Prompt factors: opens a request for `ctx` (the previous one of `ctx` ends) and returns the number to
   * show. Throws 429 `FST_MFA_RATE_LIMITED` (with `retryAfter`) past the factor's limits and 400
   * `FST_MFA_NOT_ENROLLED` when nobody can answer it (for a step-up: no device but the requesting one).
   */
  start?(userId: string, ctx: SendContext): Promise<PromptStart>
  /**
   * Prompt factors: waits (up to the factor's own wait, or `waitMs`) until request `requestId` of `ctx` is
   * no longer undecided. Spends nothing and counts nothing: the login flow waits here, outside its attempt
   * counting and lockout. `'decided'` also when the request expired, was replaced or used.
   */
  waitForDecision?(userId: string, requestId: string, ctx: CodeContext, options?: { waitMs?: number, signal?: AbortSignal }): Promise<'pending' | 'decided'>
  /**
   * Prompt factors: spends the decision on `requestId`: `ok` for exactly one caller after an approval
   * (on any instance), reason `denied` after a denial, `expired` when it expired, was replaced or used;
   * `'pending'` while undecided.
   */
  decision?(userId: string, requestId: string, ctx: CodeContext): Promise<'pending' | FactorResult>
  /** Removes the factor for an admin reset. */
  remove(userId: string, request?: FastifyRequest): Promise<void>
}

export interface FactorRegistry {
  register(factor: MfaFactor): void
  get(id: string): MfaFactor | undefined
  list(): MfaFactor[]
  /** Factor ids the user can use at the second-factor step (recovery and companion ones only alongside a primary). */
  enrolled(userId: string): Promise<string[]>
  hasPrimary(userId: string): Promise<boolean>
}

/** A factor that counts as enrolment in MFA on its own: neither a recovery nor a companion factor. */
export const isPrimary = (factor: MfaFactor): boolean => factor.recovery !== true && factor.companion !== true

export function createFactorRegistry (): FactorRegistry {
  const factors = new Map<string, MfaFactor>()
  const registry: FactorRegistry = {
    register (factor) {
      if (!/^[a-z][a-z0-9-]*$/.test(factor.id)) throw new TypeError(`@fastify-mfa/core: factor id "${factor.id}" must be lowercase letters, digits and dashes`)
      if (factors.has(factor.id)) throw new TypeError(`@fastify-mfa/core: factor "${factor.id}" is already registered`)
      if (factor.kind === 'code' && !factor.verifyCode) throw new TypeError(`@fastify-mfa/core: code factor "${factor.id}" needs verifyCode()`)
      if (factor.kind === 'ceremony' && (!factor.challenge || !factor.verifyResponse)) {
        throw new TypeError(`@fastify-mfa/core: ceremony factor "${factor.id}" needs challenge() and verifyResponse()`)
      }
      if (factor.kind === 'prompt' && (!factor.start || !factor.waitForDecision || !factor.decision)) {
        throw new TypeError(`@fastify-mfa/core: prompt factor "${factor.id}" needs start(), waitForDecision() and decision()`)
      }
      if (!['code', 'ceremony', 'prompt'].includes(factor.kind)) throw new TypeError(`@fastify-mfa/core: factor "${factor.id}" has an unknown kind`)
      factors.set(factor.id, factor)
    },
    get: (id) => factors.get(id),
    list: () => [...factors.values()],
    async enrolled (userId) {
      const all = [...factors.values()]
      const flags = await Promise.all(all.map((f) => f.isEnrolled(userId)))
      const primary = all.some((f, i) => flags[i] === true && isPrimary(f))
      return all.filter((f, i) => flags[i] === true && (primary || isPrimary(f))).map((f) => f.id)
    },
    async hasPrimary (userId) {
      for (const f of factors.values()) if (isPrimary(f) && await f.isEnrolled(userId)) return true
      return false
    }
  }
  return registry
}
