import type { FastifyInstance } from 'fastify'
import { setupMfaRoutes } from '@fastify-mfa/core/plugin-kit'
import type { BackupCodes } from './backupCodes.js'

const statusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['remaining', 'createdAt'],
  properties: {
    remaining: { type: 'integer' },
    createdAt: { type: ['string', 'null'], format: 'date-time' }
  }
} as const

const codesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['codes'],
  properties: { codes: { type: 'array', items: { type: 'string' } } }
} as const

// The regenerate body takes no fields; `{}` or no body at all. `maxProperties` makes an unknown field
// a 400: Fastify's default Ajv (`removeAdditional: true`) would silently strip it otherwise.
const emptyBody = { type: ['object', 'null'], additionalProperties: false, maxProperties: 0, properties: {} } as const

/** `GET <prefix>/backup-codes` and `POST <prefix>/backup-codes` (SPEC §4). */
export async function registerBackupCodeRoutes (fastify: FastifyInstance, backupCodes: BackupCodes, prefix: string): Promise<void> {
  await fastify.register(async function backupCodeRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/backup-codes' })

    routes.get('/backup-codes', {
      preHandler: fastify.mfa.guards.signedIn,
      schema: { response: { 200: statusSchema } }
    }, async (request) => {
      const { remaining, createdAt } = await backupCodes.status(request.mfa.userId!)
      return { remaining, createdAt: createdAt?.toISOString() ?? null }
    })

    // Regenerating replaces every earlier code, so it needs a fresh second factor (guards.manage).
    routes.post('/backup-codes', {
      preHandler: fastify.mfa.guards.manage,
      schema: { body: emptyBody, response: { 200: codesSchema } }
    }, async (request, reply) => {
      void reply.header('cache-control', 'no-store')
      return { codes: await backupCodes.regenerate(request.mfa.userId!, request) }
    })
  }, { prefix })
}
