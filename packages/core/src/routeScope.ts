import { Ajv } from 'ajv'
import addFormatsPlugin from 'ajv-formats'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import { errors } from './errors.js'
import { errorBody, sendError } from './guards.js'

/**
 * The error handler of fastify-mfa's own route scopes: Fastify's error shape plus the details an
 * error carries (`attemptsLeft`, `retryAfter`, `methods`). A 5xx is logged and answered without
 * its message, so no database detail or secret reaches the client.
 */
export function createRouteErrorHandler () {
  return function mfaRouteErrorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const statusCode = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    if (statusCode >= 500) request.log.error({ err }, 'fastify-mfa: request failed')
    const body = errorBody(err, statusCode)
    if (typeof body.retryAfter === 'number') void reply.header('retry-after', String(body.retryAfter))
    return reply.code(statusCode).send(body)
  }
}

// Unlike Fastify's default validator, unknown properties are refused (400) rather than silently
// removed, and a body is never coerced: a JSON number where a code string belongs is bad input (its
// leading zeros are already lost), not a wrong guess. Params and query strings are text, so they are coerced.
// With the formats Fastify's own validator knows (`email`, `date-time`, `uri` …).
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv
const strict = addFormats(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false }))
const coercing = addFormats(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false }))

/** Fastify's error shape and the details fastify-mfa adds (`methods`, `attemptsLeft`, `retryAfter` …). */
const errorResponse = {
  type: 'object',
  description: 'An error: `code` is one of the stable codes listed in the package README',
  required: ['statusCode', 'code', 'error', 'message'],
  additionalProperties: true,
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    methods: { type: 'array', items: { type: 'string' }, description: 'factor ids that would satisfy the request' },
    attemptsLeft: { type: 'integer' },
    retryAfter: { type: 'integer', description: 'seconds' }
  }
} as const

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const JSON_TYPE = /^application\/json\s*(;|$)/i

/**
 * Where a state-changing request may come from: a browser names the page's site in `Origin` and
 * `Sec-Fetch-Site`; without them (a non-browser client) the other rules judge it. With no
 * configured origins, the app's own origin (as the request reached it) is the only one.
 */
export function isForeignOrigin (request: FastifyRequest, origins: readonly string[] | null): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true
  const origin = request.headers.origin
  if (origin === undefined) return false
  return origins ? !origins.includes(origin) : origin !== `${request.protocol}://${request.host}`
}

/**
 * Sets up one of fastify-mfa's route scopes (every plugin calls it for its routes): the error
 * handler and strict validator above, and request hygiene (SPEC §8): a POST, PATCH or DELETE from a
 * page of another origin gets 403 `FST_MFA_ORIGIN_REFUSED`, a body that is not JSON 415, both before
 * anything is read or changed; and no answer is cached (they carry codes, secrets and tokens).
 */
export function setupMfaRoutes (routes: FastifyInstance, { tag }: { tag?: string } = {}): void {
  routes.setErrorHandler(createRouteErrorHandler())
  // OpenAPI (@fastify/swagger): each route is tagged with its package and documents the error shape.
  routes.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as FastifySchema & { tags?: string[], response?: Record<string, unknown> }
    route.schema = {
      ...schema,
      ...(tag ? { tags: schema.tags ?? [tag] } : {}),
      response: { '4xx': errorResponse, '5xx': errorResponse, ...schema.response }
    }
  })
  routes.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema, httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object))
  // Fastify parses text/plain by default: a form or no-cors fetch can send it without a CORS preflight.
  routes.removeContentTypeParser('text/plain')
  const origins = routes.mfa.options.origins
  routes.addHook('onRequest', async function mfaRequestHygiene (request, reply) {
    if (!UNSAFE.has(request.method)) return
    if (isForeignOrigin(request, origins)) return sendError(reply, new errors.FST_MFA_ORIGIN_REFUSED())
    const type = request.headers['content-type']
    if (type !== undefined && !JSON_TYPE.test(type)) return sendError(reply, new errors.FST_MFA_UNSUPPORTED_MEDIA_TYPE())
  })
  routes.addHook('onSend', async function mfaNoStore (_request, reply) {
    void reply.header('cache-control', 'no-store')
  })
}
