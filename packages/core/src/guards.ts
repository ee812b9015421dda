import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { errorDetails, errors, withDetails, type MfaErrorBody } from './errors.js'
import type { FactorRegistry } from './factors.js'
import type { Aal } from './state.js'

export interface RequireOptions {
  /** Minimum assurance level. @default 2 */
  aal?: 1 | 2 | 3
  /** A second factor must have been verified within this many seconds. */
  maxAge?: number
  /** The last second factor must be one of these factor ids (e.g. `['webauthn']`). */
  methods?: string[]
  /** Let an enroll-only session (past the grace period, no factor yet) through. @default false */
  allowEnrollOnly?: boolean
}

/** Builds Fastify's error shape with the error's details next to it. */
export function errorBody (err: Error & { statusCode?: number, code?: string }, statusCode = err.statusCode ?? 500): MfaErrorBody {
  const exposed = statusCode < 500
  return {
    statusCode,
    code: err.code ?? 'FST_MFA_INTERNAL',
    error: exposed ? statusText(statusCode) : 'Internal Server Error',
    message: exposed ? err.message : 'Internal Server Error',
    ...(exposed ? errorDetails(err) : {})
  }
}

function statusText (statusCode: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 423: 'Locked', 429: 'Too Many Requests' } as Record<number, string>)[statusCode] ?? 'Error'
}

export function sendError (reply: FastifyReply, err: Error & { statusCode?: number }): FastifyReply {
  return reply.code(err.statusCode ?? 500).send(errorBody(err))
}

/** The error a request fails `opts` with, or null when it passes. Pure: reads only the session. */
export function guardError (request: FastifyRequest, opts: Required<Pick<RequireOptions, 'aal'>> & RequireOptions,
  factorsFor: (aal: Aal, methods?: string[]) => string[]): Error | null {
  const mfa = request.mfa
  if (mfa.userId === null) return new errors.FST_MFA_UNAUTHENTICATED()
  if (mfa.enrollOnly && !opts.allowEnrollOnly) {
    return withDetails(new errors.FST_MFA_ENROLLMENT_REQUIRED(), { methods: factorsFor(2) })
  }
  if (mfa.aal < opts.aal) return withDetails(new errors.FST_MFA_REQUIRED(), { methods: factorsFor(opts.aal, opts.methods) })
  const wrongMethod = opts.methods !== undefined && !opts.methods.includes(mfa.mfaMethod ?? '')
  if ((opts.maxAge !== undefined && !mfa.isFresh(opts.maxAge)) || wrongMethod) {
    return withDetails(new errors.FST_MFA_STEP_UP_REQUIRED(), { methods: factorsFor(opts.aal, opts.methods) })
  }
  return null
}

export function createGuards (factors: FactorRegistry, freshAge: number) {
  const factorsFor = (aal: Aal, methods?: string[]): string[] => factors.list()
    .filter((f) => !f.recovery && (aal < 3 || f.phishingResistant) && (!methods || methods.includes(f.id)))
    .map((f) => f.id)

  function require (options: RequireOptions = {}): preHandlerAsyncHookHandler {
    const opts = { aal: options.aal ?? 2, ...options }
    if (![1, 2, 3].includes(opts.aal)) throw new TypeError('@fastify-mfa/core: require({ aal }) must be 1, 2 or 3')
    if (opts.maxAge !== undefined && !(Number.isFinite(opts.maxAge) && opts.maxAge > 0)) {
      throw new TypeError('@fastify-mfa/core: require({ maxAge }) must be a positive number of seconds')
    }
    return async function mfaGuard (request, reply) {
      const err = guardError(request, opts, factorsFor)
      if (err) return sendError(reply, err)
    }
  }

  /**
   * Factor management: a signed-in session (not a pending login); when the user already has a
   * factor, a second factor verified within `freshAge` (a remembered device is never fresh).
   */
  const manage: preHandlerAsyncHookHandler = async function mfaManageGuard (request, reply) {
    const signedIn = guardError(request, { aal: 1, allowEnrollOnly: true }, factorsFor)
    if (signedIn) return sendError(reply, signedIn)
    if (!request.mfa.isFresh(freshAge) && await factors.hasPrimary(request.mfa.userId!)) {
      return sendError(reply, withDetails(new errors.FST_MFA_STEP_UP_REQUIRED(), { methods: await factors.enrolled(request.mfa.userId!) }))
    }
  }

  /** A signed-in session (pending logins refused); no freshness needed. */
  const signedIn = require({ aal: 1, allowEnrollOnly: true })

  return { require, manage, signedIn }
}
