import { errors } from '@fastify-mfa/core'
import { setupMfaRoutes } from '@fastify-mfa/core/plugin-kit'
import type { FastifyInstance } from 'fastify'
import type { DeviceCookie } from './devices.js'
import type { TrustedDeviceStore } from './store.js'

const deviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'label', 'createdAt', 'lastUsedAt', 'expiresAt', 'current'],
  properties: {
    id: { type: 'string' },
    label: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    current: { type: 'boolean', description: 'The device this request comes from' }
  }
} as const

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  // randomToken(16): 22 base64url characters.
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } }
} as const

/** `GET /devices`, `DELETE /devices/:id`, `DELETE /devices` under `prefix` (all need a signed-in session). */
export async function registerDeviceRoutes (fastify: FastifyInstance, prefix: string,
  store: TrustedDeviceStore, cookie: DeviceCookie): Promise<void> {
  const mfa = fastify.mfa
  await fastify.register(async function rememberDeviceRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/remember-device' })
    routes.addHook('preHandler', mfa.guards.signedIn)

    routes.get('/devices', { schema: { response: { 200: { type: 'array', items: deviceSchema } } } }, async (request) => {
      const userId = request.mfa.userId!
      const devices = await store.listLive(userId, await mfa.users.securityStamp(userId))
      const currentHash = cookie.tokenHash(request)
      return devices.map((d) => ({
        id: d.publicId,
        label: d.label,
        createdAt: d.createdAt,
        lastUsedAt: d.lastUsedAt,
        expiresAt: d.expiresAt,
        current: d._id === currentHash
      }))
    })

    routes.delete<{ Params: { id: string } }>('/devices/:id', {
      schema: { params: idParams, response: { 204: { type: 'null', description: 'The device is no longer remembered' } } }
    }, async (request, reply) => {
      const userId = request.mfa.userId!
      const device = await store.revoke(userId, request.params.id)
      if (!device) throw new errors.FST_MFA_NOT_FOUND()
      if (device._id === cookie.tokenHash(request)) cookie.clear(request, reply)
      await mfa.emit('device.revoked', { userId, request, details: { deviceId: device.publicId, label: device.label, reason: 'user' } })
      return await reply.code(204).send()
    })

    routes.delete('/devices', { schema: { response: { 204: { type: 'null', description: 'No device of the user is remembered any more' } } } }, async (request, reply) => {
      await mfa.devices!.revokeAll(request.mfa.userId!, request)
      cookie.clear(request, reply)
      return await reply.code(204).send()
    })
  }, { prefix })
}
