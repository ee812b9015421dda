import { createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import { MongoClient } from 'mongodb'
import { Redis } from 'ioredis'
import nodemailer from 'nodemailer'
import mfaCore, { createMemoryStore, createMongoStore, type MfaStore } from '@fastify-mfa/core'
import totp from '@fastify-mfa/totp'
import backupCodes from '@fastify-mfa/backup-codes'
import webauthn from '@fastify-mfa/webauthn'
import rememberDevice from '@fastify-mfa/remember-device'
import mfaLogin from '@fastify-mfa/mfa-login'
import sentCodes from '@fastify-mfa/sent-codes'
import deviceApproval from '@fastify-mfa/device-approval'
import { accountRoutes } from './accountRoutes.js'
import { adminRoleCheck, adminRoutes } from './adminRoutes.js'
import type { AppConfig } from './config.js'
import { createDevOutbox } from './devOutbox.js'
import { devRoutes } from './devRoutes.js'
import { apiDocs } from './docs.js'
import { pageRoutes } from './pages.js'
import { securityHeaders, setupAppRoutes } from './security.js'
import { CollectionSessionStore, sessionIndexes, type SessionDocument } from './sessionStore.js'
import { claimIndexes, createUsers, PASSWORD_COST } from './users.js'
import { createAccountMails, verificationRoutes } from './verificationRoutes.js'

const require = createRequire(import.meta.url)
const publicDir = new URL('../public/', import.meta.url)
const assets: Record<string, [string, string]> = {
  'app.js': [new URL('app.js', publicDir).pathname, 'text/javascript'],
  'style.css': [new URL('style.css', publicDir).pathname, 'text/css'],
  // The package exports only its modules; its browser bundle sits beside them (its "unpkg" file).
  'webauthn.js': [join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'), 'text/javascript']
}

/** Builds the example host app. `store` overrides MONGODB_URI (tests share one store between instances). */
export async function buildApp (config: AppConfig, overrides: { store?: MfaStore, logger?: FastifyServerOptions['logger'], now?: () => number } = {}): Promise<FastifyInstance> {
  // A hop count works at run time (proxy-addr) but is missing from Fastify's types: the same, as a function.
  const hops = config.trustProxy
  const trustProxy = typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : hops
  const app = Fastify({ logger: overrides.logger ?? { level: 'info' }, trustProxy })
  let store = overrides.store
  let client: MongoClient | null = null
  if (!store && config.mongodbUri) {
    client = await new MongoClient(config.mongodbUri).connect()
    store = createMongoStore(client.db())
  }
  store ??= createMemoryStore()
  if (client) app.addHook('onClose', async () => { await client!.close() })
  for (const warning of config.warnings) app.log.warn(warning)
  if (store.kind === 'memory') app.log.warn('No MONGODB_URI: users, sessions and MFA data live in memory and are lost on restart')

  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : null
  if (redis) app.addHook('onClose', async () => { await redis.quit() })
  // Verification codes are hashed under a key of the app: a bare hash of a six-digit code is no secret.
  const codeKey = createHmac('sha256', config.sessionSecret).update('host-app email verification codes').digest()
  const users = createUsers(store, { adminEmails: config.adminEmails, codeKey, ...(overrides.now ? { now: overrides.now } : {}) })
  // Without SMTP_URL (never in production, see loadConfig): mails and texts stay in memory, at /dev/mail.
  const outbox = config.devOutbox ? createDevOutbox(app.log, overrides.now ? { now: overrides.now } : {}) : null
  const secure = config.origin.startsWith('https://')
  // The app's pages run on ORIGIN and on any RELATED_ORIGINS (WebAuthn related origin requests).
  const siteOrigins = [config.origin, ...config.relatedOrigins]
  await securityHeaders(app, { secure })
  // Swagger UI at /docs outside production; before the routes, which @fastify/swagger collects as they are added.
  if (config.apiDocs) await apiDocs(app, { origin: config.origin })
  await app.register(cookie)
  const sessions = store.collection<SessionDocument>('sessions')
  const sessionLifetime = 8 * 3600
  const sessionStore = new CollectionSessionStore(sessions, { lifetime: sessionLifetime })
  await app.register(session, {
    secret: config.sessionSecret,
    saveUninitialized: false,
    // Over HTTPS the __Host- prefix makes browsers refuse the cookie unless it is Secure, on path /
    // and without Domain, so a sibling subdomain or a plain-http page cannot plant or overwrite it.
    cookieName: secure ? '__Host-sid' : 'sessionId',
    cookie: { secure, httpOnly: true, sameSite: 'lax', path: '/', maxAge: sessionLifetime * 1000 },
    store: sessionStore
  })
  // Before core: its `config: { mfa }` guard is a root onRequest hook, and the role comes first.
  app.addHook('onRequest', adminRoleCheck(users))
  await app.register(mfaCore, {
    store,
    encryptionKeys: [{ id: 'k1', key: config.encryptionKey }],
    freshAge: config.freshAge,
    // Related origins (the same app under another domain) send requests to these routes too.
    origins: siteOrigins,
    // sessionStore: so a security change also ends sessions outside a request (a support job).
    sessionStore,
    ...(overrides.now ? { now: overrides.now } : {})
  })
  // Expired sessions and tombstones go like the MFA collections' expired documents (TTL index, or core's sweep).
  app.mfa.ensureIndexes(sessions, sessionIndexes)
  app.mfa.ensureIndexes(users.claims, claimIndexes)
  await app.register(backupCodes, {})
  // Authenticator apps and passkey managers show the email, which the user recognises.
  const emailOf = async (userId: string) => (await users.byId(userId))?.email ?? userId
  await app.register(totp, { issuer: 'Example Host App', accountName: async (request) => await emailOf(request.mfa.userId!) })
  await app.register(webauthn, {
    rpID: config.rpId,
    rpName: 'Example Host App',
    origins: [config.origin],
    // Served at /.well-known/webauthn and accepted in every ceremony.
    relatedOrigins: config.relatedOrigins,
    syncedPasskeyAal: config.syncedPasskeyAal,
    autoUpgrade: config.passkeyAutoUpgrade,
    userName: async (_request, userId) => await emailOf(userId)
  })
  await app.register(sentCodes, {
    appName: 'Example Host App',
    email: {
      transport: outbox ? nodemailer.createTransport(outbox.transport) : config.smtpUrl!,
      from: config.mailFrom,
      // Codes and security notifications go only to an address the user proved they read.
      getEmail: async (userId: string) => {
        const user = await users.byId(userId)
        return user?.verified ? user.email : null
      }
    },
    // The example has no SMS provider: text messages exist only in the development outbox.
    ...(outbox ? { sms: { send: outbox.sendText } } : {}),
    notifications: true
  })
  await app.register(rememberDevice, {})
  // Approve a sign-in on another signed-in device, with number matching (issue 16).
  await app.register(deviceApproval, {})
  await app.register(mfaLogin, {
    findUserByLogin: async (login: string) => await users.byEmail(login),
    getUser: async (id: string) => await users.byId(id),
    mode: config.mode,
    gracePeriod: config.graceDays,
    bcryptCost: PASSWORD_COST,
    // Admins sign in with a security key or passkey; one with only an authenticator app proves it,
    // then gets a session that can only add a key. With ADMIN_HARDWARE_KEYS=1 only a device-bound
    // key counts (`hwk`): a synced passkey (`swk`) is refused for them.
    roles: { admin: { methods: ['webauthn'], ...(config.adminHardwareKeys ? { amr: ['hwk'] } : {}) } },
    rateLimit: { max: config.authRateLimit, ...(redis ? { redis } : {}) }
  })
  app.addHook('onReady', users.ensureIndexes)

  app.get('/healthz', async () => ({ ok: true }))
  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const asset = assets[request.params.file]
    if (!asset) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such asset' })
    return reply.type(asset[1]).header('cache-control', 'no-cache').send(await readFile(asset[0]))
  })
  await app.register(async function appJsonRoutes (api) {
    setupAppRoutes(api, { origins: siteOrigins })
    const mails = createAccountMails(api, { users, origin: config.origin })
    await accountRoutes(api, { config, users, mails, redis })
    await verificationRoutes(api, { users, mails })
    await adminRoutes(api, { config, users })
  })
  await pageRoutes(app, { users, sms: outbox !== null, devOutbox: outbox !== null, adminHardwareKeys: config.adminHardwareKeys, passkeyAutoUpgrade: config.passkeyAutoUpgrade })
  if (outbox) await devRoutes(app, outbox)
  return app
}
