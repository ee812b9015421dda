import { STATUS_CODES } from 'node:http'
import helmet from '@fastify/helmet'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, onRequestAsyncHookHandler } from 'fastify'
import { isForeignOrigin } from '@fastify-mfa/core'
import { errorDetails } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'

/**
 * Security headers on every answer. The pages load their scripts and styles as files from this
 * origin (no inline script, style or handler), and the TOTP QR code is a `data:` image. Nothing may
 * frame the pages (clickjacking of the settings page: `frame-ancestors 'none'`, and X-Frame-Options
 * for browsers without CSP level 2).
 */
export async function securityHeaders (app: FastifyInstance, { secure }: { secure: boolean }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        // Over plain http (development) upgrading would send the assets to an https:// that is not there.
        ...(secure ? { upgradeInsecureRequests: [] } : {})
      }
    },
    frameguard: { action: 'deny' },
    // Helmet's default, no-referrer, makes browsers send `Origin: null` on same-origin POSTs
    // (Fetch standard, "append a request Origin header"), which the origin checks would refuse.
    referrerPolicy: { policy: 'same-origin' },
    hsts: secure ? { maxAge: 15_552_000, includeSubDomains: false } : false
  })
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The app's own JSON routes follow the plugins' request hygiene (SPEC §8): a state-changing request
 * from a page of another origin, or that the browser marks cross-site, is refused before anything
 * runs; bodies are JSON or absent, so a cross-site `text/plain` or form post (which needs no CORS
 * preflight) never reaches a handler.
 */
export function refuseForeignRequests (origins: string[]): onRequestAsyncHookHandler {
  return async function appRequestHygiene (request: FastifyRequest) {
    if (!UNSAFE.has(request.method)) return
    // The plugins' own rule (one place decides what a foreign origin is), answered with the app's code.
    if (isForeignOrigin(request, origins)) throw new errors.APP_ORIGIN_REFUSED()
    const hasBody = request.headers['transfer-encoding'] !== undefined ||
      (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0')
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (hasBody && mediaType !== 'application/json') throw new errors.APP_UNSUPPORTED_MEDIA_TYPE()
  }
}

// Fastify's default validator coerces types and silently drops unknown properties; the app's JSON
// routes refuse both with 400, like the plugins' routes.
const ajv = addFormats.default(new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false }))

/**
 * Fastify's error shape plus the details an error carries (`retryAfter`, `attemptsLeft`, attached
 * with core's `withDetails`). A 5xx that is not one of the app's own codes is logged and answered
 * without its message (a database error may name internals).
 */
function appErrorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const statusCode = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
  const ours = statusCode < 500 || (typeof err.code === 'string' && err.code.startsWith('APP_'))
  if (statusCode >= 500) request.log.error({ err }, 'request failed')
  const details = ours ? errorDetails(err) : {}
  if (typeof details.retryAfter === 'number') void reply.header('retry-after', String(details.retryAfter))
  return reply.code(statusCode).send(ours
    ? { statusCode, code: err.code, error: STATUS_CODES[statusCode] ?? 'Error', message: err.message, ...details }
    : { statusCode, code: 'APP_INTERNAL', error: 'Internal Server Error', message: 'Internal Server Error' })
}

/** Sets up the scope of the app's JSON routes: request hygiene, the strict validator and the error shape. */
export function setupAppRoutes (routes: FastifyInstance, { origins }: { origins: string[] }): void {
  routes.setErrorHandler(appErrorHandler)
  routes.addHook('onRequest', refuseForeignRequests(origins))
  routes.setValidatorCompiler(({ schema }: { schema: FastifySchema }) => ajv.compile(schema as object))
}
