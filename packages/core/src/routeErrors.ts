import { Ajv } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import { errorBody } from './guards.js'

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

// Like Fastify's default validator, except that unknown properties are refused (400) rather than
// silently removed: bad input to a security route is an error, not something to tidy up.
const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false })

/** Sets up one of fastify-mfa's route scopes: its error handler and its strict validator. */
export function setupMfaRoutes (routes: FastifyInstance): void {
  routes.setErrorHandler(createRouteErrorHandler())
  routes.setValidatorCompiler(({ schema }: { schema: FastifySchema }) => ajv.compile(schema as object))
}
