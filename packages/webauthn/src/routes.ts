import { setupMfaRoutes, errors as coreErrors } from '@fastify-mfa/core'
import type { FastifyInstance } from 'fastify'
import { viewOf, type CredentialStore } from './credentials.js'
import { listSchema, registerOptionsSchema, registerVerifySchema, removeSchema, renameSchema } from './routeSchemas.js'
import type { WebAuthnApi } from './types.js'

interface NameBody { name?: string }
interface VerifyBody { response: unknown, name?: string }
interface IdParams { id: string }

/** The credential management routes of SPEC §4 (`/mfa/webauthn/...`). */
export async function registerWebAuthnRoutes (fastify: FastifyInstance, api: WebAuthnApi, credentials: CredentialStore, prefix: string): Promise<void> {
  const { guards } = fastify.mfa
  await fastify.register(async function webauthnRoutes (routes) {
    setupMfaRoutes(routes)

    // Registration challenges are bound to the session (and user) that asked for them.
    routes.post<{ Body: NameBody }>('/webauthn/register/options', { preHandler: guards.enrol, schema: registerOptionsSchema },
      async (request) => await api.registrationOptions(request, request.mfa.userId!, request.session.sessionId, request.body?.name))

    routes.post<{ Body: VerifyBody }>('/webauthn/register/verify', { preHandler: guards.enrol, schema: registerVerifySchema },
      async (request) => await api.register(request, request.mfa.userId!, request.session.sessionId, request.body.response, request.body.name))

    routes.get('/webauthn/credentials', { preHandler: guards.signedInOrEnrolling, schema: listSchema },
      async (request) => ({ credentials: await api.list(request.mfa.userId!) }))

    routes.patch<{ Params: IdParams, Body: { name: string } }>('/webauthn/credentials/:id', { preHandler: guards.signedIn, schema: renameSchema },
      async (request) => {
        const renamed = await credentials.rename(request.mfa.userId!, request.params.id, request.body.name)
        if (!renamed) throw new coreErrors.FST_MFA_NOT_FOUND()
        return { credential: viewOf(renamed) }
      })

    routes.delete<{ Params: IdParams }>('/webauthn/credentials/:id', { preHandler: guards.manage, schema: removeSchema },
      async (request, reply) => {
        if (!await api.remove(request, request.mfa.userId!, request.params.id)) throw new coreErrors.FST_MFA_NOT_FOUND()
        return reply.code(204).send()
      })
  }, { prefix })
}
