import type { FastifyInstance } from 'fastify'
import { setupMfaRoutes } from '@fastify-mfa/core/plugin-kit'
import type { Approvals } from './approvals.js'
import { errors } from './errors.js'
import type { StreamHub } from './streams.js'

// randomToken(16): 22 base64url characters.
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' } } } as const
// A JSON integer, never a string: the validator of fastify-mfa's routes does not coerce bodies.
const approveBody = { type: 'object', additionalProperties: false, required: ['number'], properties: { number: { type: 'integer', minimum: 10, maximum: 99 } } } as const
const emptyBody = { type: ['object', 'null'], additionalProperties: false, maxProperties: 0, properties: {} } as const
const view = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'purpose', 'createdAt', 'expiresAt', 'label', 'ip'],
  properties: {
    id: { type: 'string' },
    purpose: { type: 'string', enum: ['login', 'step-up'] },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    label: { type: 'string', description: 'the signing-in device, e.g. "Firefox on Ubuntu"' },
    ip: { type: 'string' }
  }
} as const
const decisionAnswer = {
  200: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: { status: { type: 'string', enum: ['approved', 'denied'] }, reason: { type: 'string' }, locked: { type: 'boolean' } }
  }
} as const

/**
 * Server-Sent Events (`approval` with a request's view, `resolved` with its id). Documentation only: the
 * route hijacks the reply and writes to `reply.raw`, so this schema never serializes anything.
 */
const streamAnswer = {
  200: {
    description: 'Server-Sent Events: `approval` (a request to decide, as in GET /mfa/approvals) and `resolved` ({ id })',
    content: { 'text/event-stream': { schema: { type: 'string' } } }
  }
} as const

/** The approving side, under core's prefix: a signed-in session (AAL 2 or more, not enrol-only) lists, streams and decides. */
export async function registerApprovalRoutes (fastify: FastifyInstance, { approvals, hub, prefix }: { approvals: Approvals, hub: StreamHub, prefix: string }): Promise<void> {
  const mfa = fastify.mfa
  // AAL 2 or more, not a pending login, not enrol-only; the registry is checked again before a decision.
  const preHandler = mfa.require({ aal: 2 })

  await fastify.register(async function approvalRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/device-approval' })

    routes.get('/approvals', { preHandler, schema: { response: { 200: { type: 'array', items: view } } } }, async (request) => {
      if (!await mfa.sessions.touch(request)) throw new errors.FST_MFA_UNAUTHENTICATED()
      return await approvals.list(request)
    })

    routes.get('/approvals/stream', { preHandler, schema: { response: streamAnswer } }, async (request, reply) => {
      if (!await mfa.sessions.touch(request)) throw new errors.FST_MFA_UNAUTHENTICATED()
      const { userId, sid } = await approvals.approver(request)
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // Proxies such as nginx would otherwise hold the events back.
        'x-accel-buffering': 'no'
      })
      const stream = { userId, sid, write: (chunk: string) => { raw.write(chunk) }, end: () => { raw.end() } }
      raw.on('close', () => { hub.close(stream) })
      await hub.open(stream)
    })

    routes.post<{ Params: { id: string }, Body: { number: number } }>('/approvals/:id', {
      preHandler, schema: { params: idParams, body: approveBody, response: decisionAnswer }
    }, async (request) => await approvals.approve(request, request.params.id, request.body.number))

    routes.post<{ Params: { id: string } }>('/approvals/:id/deny', {
      preHandler, schema: { params: idParams, body: emptyBody, response: decisionAnswer }
    }, async (request) => await approvals.deny(request, request.params.id))
  }, { prefix })
}
