import { errors as coreErrors } from '@fastify-mfa/core'
import { setupMfaRoutes } from '@fastify-mfa/core/plugin-kit'
import type { FastifyInstance } from 'fastify'
import { viewOf, type CredentialStore } from './credentials.js'
import type { ResolvedWebAuthnOptions } from './options.js'
import {
  conditionalOptionsSchema, conditionalVerifySchema, listSchema, registerOptionsSchema, registerVerifySchema, removeSchema,
  renameSchema, signalsSchema, wellKnownSchema
} from './routeSchemas.js'
import type { WebAuthnApi } from './types.js'

interface NameBody { name?: string }
interface VerifyBody { response: unknown, name?: string }
interface IdParams { id: string }

/** The credential management routes of SPEC §4 (`/mfa/webauthn/...`), the upgrade and the signals. */
export async function registerWebAuthnRoutes (fastify: FastifyInstance, api: WebAuthnApi, credentials: CredentialStore,
  opts: ResolvedWebAuthnOptions): Promise<void> {
  const { guards } = fastify.mfa
  await fastify.register(async function webauthnRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/webauthn' })

    // Registration challenges are bound to the session (and user) that asked for them.
    routes.post<{ Body: NameBody }>('/webauthn/register/options', { preHandler: guards.enrol, schema: registerOptionsSchema },
      async (request) => await api.registrationOptions(request, request.mfa.userId!, request.session.sessionId, request.body?.name))

    routes.post<{ Body: VerifyBody }>('/webauthn/register/verify', { preHandler: guards.enrol, schema: registerVerifySchema },
      async (request) => await api.register(request, request.mfa.userId!, request.session.sessionId, request.body.response, request.body.name))

    if (opts.autoUpgrade) {
      // The automatic passkey upgrade: no freshness guard beyond its own window (checked by the api).
      routes.post('/webauthn/register/conditional/options', { preHandler: guards.signedIn, schema: conditionalOptionsSchema },
        async (request) => await api.autoUpgradeOptions(request, request.mfa.userId!, request.session.sessionId))

      routes.post<{ Body: { response: unknown } }>('/webauthn/register/conditional/verify', { preHandler: guards.signedIn, schema: conditionalVerifySchema },
        async (request) => await api.autoRegister(request, request.mfa.userId!, request.session.sessionId, request.body.response))
    }

    routes.get('/webauthn/credentials', { preHandler: guards.signedInOrEnrolling, schema: listSchema },
      async (request) => ({ credentials: await api.list(request.mfa.userId!) }))

    routes.get('/webauthn/signals', { preHandler: guards.signedInOrEnrolling, schema: signalsSchema },
      async (request) => await api.signals(request, request.mfa.userId!))

    routes.patch<{ Params: IdParams, Body: { name: string } }>('/webauthn/credentials/:id', { preHandler: guards.signedIn, schema: renameSchema },
      async (request) => {
        const renamed = await credentials.rename(request.mfa.userId!, request.params.id, request.body.name)
        if (!renamed) throw new coreErrors.FST_MFA_NOT_FOUND()
        return { credential: viewOf(renamed, opts.authenticatorNames) }
      })

    routes.delete<{ Params: IdParams }>('/webauthn/credentials/:id', { preHandler: guards.manage, schema: removeSchema },
      async (request, reply) => {
        if (!await api.remove(request, request.mfa.userId!, request.params.id)) throw new coreErrors.FST_MFA_NOT_FOUND()
        return reply.code(204).send()
      })
  }, { prefix: opts.prefix })

  if (opts.relatedOrigins.length > 0) {
    // WebAuthn Level 3 related origin requests: the browser fetches https://<rpID>/.well-known/webauthn
    // (no cookies) to learn which other origins may use this RP ID. Public and cacheable, so it
    // lives outside the MFA route scope (whose answers are no-store).
    const body = { origins: opts.relatedOrigins }
    await fastify.register(async function webauthnWellKnown (root) {
      root.get('/.well-known/webauthn', { schema: wellKnownSchema }, async (_request, reply) => {
        void reply.header('cache-control', 'public, max-age=86400').type('application/json')
        return body
      })
    })
  }
}
