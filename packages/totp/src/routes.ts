import type { FastifyInstance } from 'fastify'
import QRCode from 'qrcode'
import { setupMfaRoutes, randomToken } from '@fastify-mfa/core/plugin-kit'
import type { CodeChecker } from './checkCode.js'
import { totpErrors } from './errors.js'
import { codePattern, normalizeCode } from './normalizeCode.js'
import { secretContext, type TotpStore } from './store.js'
import { generateTotpSecret, totpUri } from './totpCode.js'
import type { ResolvedTotpOptions } from './types.js'

interface RouteDeps {
  store: TotpStore
  checkCode: CodeChecker
  opts: ResolvedTotpOptions
  prefix: string
}

// `maxProperties` makes an unknown field a 400: Fastify's default Ajv (`removeAdditional: true`)
// would silently strip it otherwise. Setup takes `{}` or no body at all.
const emptyBody = { type: ['object', 'null'], additionalProperties: false, maxProperties: 0, properties: {} } as const

/** POST /totp/setup, POST /totp/confirm, DELETE /totp (SPEC §4, factor management). */
export async function registerTotpRoutes (fastify: FastifyInstance, { store, checkCode, opts, prefix }: RouteDeps): Promise<void> {
  const mfa = fastify.mfa
  const { enrol, manage } = mfa.guards

  await fastify.register(async function mfaTotpRoutes (routes) {
    setupMfaRoutes(routes, { tag: '@fastify-mfa/totp' })

    routes.post('/totp/setup', {
      preHandler: enrol,
      schema: {
        body: emptyBody,
        response: {
          200: {
            type: 'object',
            required: ['secret', 'otpauthUrl', 'qrCodeDataUrl', 'expiresAt'],
            properties: { secret: { type: 'string' }, otpauthUrl: { type: 'string' }, qrCodeDataUrl: { type: 'string' }, expiresAt: { type: 'string' } }
          }
        }
      }
    }, async function totpSetup (request, reply) {
      const userId = request.mfa.userId!
      const accountName = opts.accountName ? await opts.accountName(request) : userId
      if (typeof accountName !== 'string' || accountName === '') throw new TypeError('@fastify-mfa/totp: accountName(request) must return a non-empty string')
      const secret = generateTotpSecret()
      const expiresAt = new Date(mfa.now() + opts.setupTtl * 1000)
      await store.saveSetup({
        _id: userId,
        secret: mfa.crypto.encrypt(secret, secretContext(userId)),
        secretRef: randomToken(12),
        createdAt: new Date(mfa.now()),
        expiresAt
      })
      const otpauthUrl = totpUri(secret, { ...opts, accountName })
      const qrCodeDataUrl = await QRCode.toDataURL(otpauthUrl, { errorCorrectionLevel: 'M', margin: 2 })
      await mfa.emit('totp.setup_started', { userId, method: 'totp', request, details: { expiresAt } })
      // Shown once: the secret must not linger in a shared or browser cache.
      void reply.header('cache-control', 'no-store')
      return { secret, otpauthUrl, qrCodeDataUrl, expiresAt: expiresAt.toISOString() }
    })

    routes.post<{ Body: { code: string } }>('/totp/confirm', {
      preHandler: enrol,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          maxProperties: 1,
          required: ['code'],
          properties: { code: { type: 'string', pattern: codePattern(opts.digits) } }
        },
        response: {
          200: {
            type: 'object',
            required: ['enabled'],
            properties: { enabled: { type: 'boolean' }, backupCodes: { type: 'array', items: { type: 'string' } } }
          }
        }
      }
    }, async function totpConfirm (request, reply) {
      const userId = request.mfa.userId!
      const setup = await store.findSetup(userId)
      if (!setup) throw new totpErrors.FST_MFA_SETUP_EXPIRED()
      const code = normalizeCode(request.body.code, opts.digits)!
      const secret = mfa.crypto.decrypt(setup.secret, secretContext(userId))
      const outcome = await checkCode(userId, secret, setup.secretRef, code, request)
      if (outcome !== 'ok') {
        await mfa.emit('totp.confirm_refused', { userId, method: 'totp', request, details: { reason: outcome } })
        throw new totpErrors.FST_MFA_INVALID_CODE()
      }
      // Single use: a second confirm racing this one (or a newer setup) leaves nothing to activate.
      const confirmed = await store.consumeSetup(userId, setup.secretRef)
      if (!confirmed) throw new totpErrors.FST_MFA_SETUP_EXPIRED()
      const replaced = await store.activate({ _id: userId, secret: confirmed.secret, secretRef: confirmed.secretRef, enabledAt: new Date(mfa.now()) })
      // The old authenticator is gone: what it opened (other sessions, remembered devices) ends.
      if (replaced) await mfa.securityStampChanged(userId, { request, reason: 'totp.replaced' })
      const backupCodes = await mfa.recoveryCodes?.issueIfNone(userId, request) ?? null
      await mfa.emit('totp.enabled', { userId, method: 'totp', request, details: { replaced } })
      await mfa.factorAdded(userId, { request, method: 'totp' })
      void reply.header('cache-control', 'no-store')
      return backupCodes ? { enabled: true, backupCodes } : { enabled: true }
    })

    routes.delete('/totp', {
      preHandler: manage,
      schema: { response: { 204: { type: 'null', description: 'TOTP is disabled' } } }
    }, async function totpDisable (request, reply) {
      const userId = request.mfa.userId!
      if (!await store.remove(userId)) throw new totpErrors.FST_MFA_NOT_ENROLLED()
      await mfa.factorRemoved(userId, { request, method: 'totp', reason: 'totp.disabled' })
      await mfa.emit('totp.disabled', { userId, method: 'totp', request })
      return await reply.code(204).send()
    })
  }, { prefix })
}
