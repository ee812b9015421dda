import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
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
