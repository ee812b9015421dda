import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { errorDetails, errors, withDetails, type MfaErrorBody } from './errors.js'
import type { FactorRegistry } from './factors.js'
import type { Aal } from './state.js'

export interface RequireOptions {
  /** Minimum assurance level. @default 2 */
  aal?: 1 | 2 | 3
  /**
   * A second factor of at least that level (level 2 for `aal: 1`) must have been verified within this
   * many seconds: a TOTP check never makes a level-3 requirement fresh.
   */
  maxAge?: number
  /** The check must be by one of these factor ids (e.g. `['webauthn']`), within `maxAge` when given. */
  methods?: string[]
  /** Let an enrol-only session (it may only add a factor) through. @default false */
  allowEnrollOnly?: boolean
}

/** Builds Fastify's error shape with the error's details next to it. */
export function errorBody (err: Error & { statusCode?: number, code?: string }, statusCode = err.statusCode ?? 500): MfaErrorBody {
  // fastify-mfa's own 5xx (a failed delivery, an unreadable secret) say what happened; anything else
  // (a database error) is answered without its message or code, which may name internals.
  const ours = typeof err.code === 'string' && err.code.startsWith('FST_MFA_')
  const exposed = statusCode < 500 || ours
  return {
    statusCode,
    code: statusCode < 500 || ours ? err.code ?? 'FST_MFA_INTERNAL' : 'FST_MFA_INTERNAL',
    error: exposed ? statusText(statusCode) : 'Internal Server Error',
    message: exposed ? err.message : 'Internal Server Error',
    ...(exposed ? errorDetails(err) : {})
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway'
}
const statusText = (statusCode: number): string => STATUS_TEXT[statusCode] ?? 'Error'

export function sendError (reply: FastifyReply, err: Error & { statusCode?: number }): FastifyReply {
  return reply.code(err.statusCode ?? 500).send(errorBody(err))
}

/** Factor ids that would satisfy `aal` (and `methods`); with `enrol`, only those a user can enrol (no companion factors). */
type FactorsFor = (aal: Aal, methods?: string[], enrol?: boolean) => string[]
type ResolvedRequire = Required<Pick<RequireOptions, 'aal'>> & RequireOptions

/** The error a request fails `opts` with, or null when it passes. Pure: reads only the session. */
export function guardError (request: FastifyRequest, opts: ResolvedRequire, factorsFor: FactorsFor): Error | null {
  const mfa = request.mfa
  if (mfa.userId === null) return new errors.FST_MFA_UNAUTHENTICATED()
  if (mfa.enrollOnly && !opts.allowEnrollOnly) {
    return withDetails(new errors.FST_MFA_ENROLLMENT_REQUIRED(), { methods: factorsFor(2, undefined, true) })
  }
  if (mfa.aal < opts.aal) return withDetails(new errors.FST_MFA_REQUIRED(), { methods: factorsFor(opts.aal, opts.methods) })
  if (opts.maxAge === undefined && opts.methods === undefined) return null
  const wanted = { aal: opts.aal === 3 ? 3 as const : 2 as const, ...(opts.methods ? { methods: opts.methods } : {}) }
  const met = opts.maxAge === undefined ? mfa.checkedAt(wanted) !== null : mfa.isFresh(opts.maxAge, wanted)
  return met ? null : withDetails(new errors.FST_MFA_STEP_UP_REQUIRED(), { methods: factorsFor(opts.aal, opts.methods) })
}

function resolveRequire (options: RequireOptions): ResolvedRequire {
  const opts = { aal: options.aal ?? 2, ...options }
  if (![1, 2, 3].includes(opts.aal)) throw new TypeError('@fastify-mfa/core: require({ aal }) must be 1, 2 or 3')
  if (opts.maxAge !== undefined && !(Number.isFinite(opts.maxAge) && opts.maxAge > 0)) {
    throw new TypeError('@fastify-mfa/core: require({ maxAge }) must be a positive number of seconds')
  }
  if (opts.methods !== undefined && !(Array.isArray(opts.methods) && opts.methods.length > 0 && opts.methods.every((m) => typeof m === 'string'))) {
    throw new TypeError('@fastify-mfa/core: require({ methods }) must be a non-empty array of factor ids')
  }
  return opts
}

export function createGuards (factors: FactorRegistry, freshAge: number, policyMethods: () => ((userId: string) => Promise<string[]>) | undefined = () => undefined) {
  const factorsFor: FactorsFor = (aal, methods, enrol = false) => factors.list()
    .filter((f) => !f.recovery && !(enrol && f.companion) && (aal < 3 || f.phishingResistant) && (!methods || methods.includes(f.id)))
    .map((f) => f.id)

  function require (options: RequireOptions = {}): preHandlerAsyncHookHandler {
    const opts = resolveRequire(options)
    return async function mfaGuard (request, reply) {
      const err = guardError(request, opts, factorsFor)
      if (err) return sendError(reply, err)
    }
  }

  /**
   * Factor changes: a signed-in session; when the user already has a factor, a second factor verified
   * within `freshAge` (a remembered device is never fresh). `allowEnrollOnly` for the enrolment routes.
   */
  const freshFactor = (allowEnrollOnly: boolean): preHandlerAsyncHookHandler => async function mfaManageGuard (request, reply) {
    const signedIn = guardError(request, { aal: 1, allowEnrollOnly }, factorsFor)
    if (signedIn) return sendError(reply, signedIn)
    const userId = request.mfa.userId!
    if (!request.mfa.isFresh(freshAge) && await factors.hasPrimary(userId)) {
      // The methods a step-up will accept: the role policy's, when mfa-login is there.
      const methods = await (policyMethods() ?? factors.enrolled)(userId)
      return sendError(reply, withDetails(new errors.FST_MFA_STEP_UP_REQUIRED(), { methods }))
    }
  }

  return {
    require,
    /** Add, replace or remove a factor, regenerate codes: signed in (not enrol-only), fresh factor when the user has one. */
    manage: freshFactor(false),
    /** Enrol a factor: as `manage`, and open to enrol-only sessions. */
    enrol: freshFactor(true),
    /** A signed-in session (pending logins and enrol-only sessions refused); no freshness needed. */
    signedIn: require({ aal: 1 }),
    /** Signed in, enrol-only sessions included: what the enrolment pages read and step-up. */
    signedInOrEnrolling: require({ aal: 1, allowEnrollOnly: true })
  }
}

/**
 * `config: { mfa }` on any route of the app works like `preHandler: fastify.mfa.require(config.mfa)`,
 * whatever the order in which the route and core were registered: the check is a root hook, which
 * Fastify applies to every route and every encapsulated context when the server starts. It runs in
 * `onRequest`, before the body is parsed, so a stranger learns nothing of the route's schema.
 * Routes added after core are checked as they are declared (a bad `config.mfa` fails the start).
 */
export function installRouteGuards (fastify: FastifyInstance, require: (options: RequireOptions) => preHandlerAsyncHookHandler): void {
  const compiled = new WeakMap<object, preHandlerAsyncHookHandler>()
  const guardFor = (options: RequireOptions): preHandlerAsyncHookHandler => {
    let guard = compiled.get(options)
    if (!guard) compiled.set(options, guard = require(options))
    return guard
  }
  fastify.addHook('onRoute', (route) => { if (route.config?.mfa) guardFor(route.config.mfa) })
  // Callback style: a route without `config.mfa` (most of them) pays for one property read, no promise.
  fastify.addHook('onRequest', function mfaRouteGuard (request, reply, done) {
    const options = request.routeOptions.config?.mfa
    if (!options) return done()
    // The guard answers the refusal itself; the chain goes on only when it let the request through.
    guardFor(options).call(fastify, request, reply).then(() => { if (!reply.sent) done() }, done)
  })
}
