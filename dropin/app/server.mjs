// A host app nobody in the monorepo wrote: its own user table, its own password check (scrypt) and its
// own session field, with fastify-mfa registered as the READMEs say (root README "Register the plugins",
// "Hosts with their own password check"). dropin/run.sh copies it into a fresh app outside the
// repository, where the packages come from their packed tarballs.
//
//   node server.mjs                   # listens on PORT (3000) at HOST (127.0.0.1)
//   import { buildApp } from './server.mjs'
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import mfaCore from '@fastify-mfa/core'
import totp from '@fastify-mfa/totp'
import backupCodes from '@fastify-mfa/backup-codes'
import mfaLogin from '@fastify-mfa/mfa-login'

const scryptAsync = promisify(scrypt)
const SCRYPT = { N: 16384, r: 8, p: 1 }

/** The host's password hash: `scrypt$<salt>$<hash>` (base64url), not bcrypt. */
export async function hashPassword (password) {
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt, 32, SCRYPT)
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

export async function verifyPassword (password, stored) {
  const [kind, salt, hash] = stored.split('$')
  if (kind !== 'scrypt') return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, SCRYPT)
  return timingSafeEqual(actual, expected)
}

/** The host's own user table: an in-memory Map by id, and an index by email. */
export function createUserTable () {
  const byId = new Map()
  const byEmail = new Map()
  return {
    async add (email, password) {
      const key = email.trim().toLowerCase()
      if (byEmail.has(key)) return null
      const user = { id: randomUUID(), email: key, passwordHash: await hashPassword(password), createdAt: new Date() }
      byId.set(user.id, user)
      byEmail.set(key, user)
      return user
    },
    findByEmail: async (email) => byEmail.get(String(email).trim().toLowerCase()) ?? null,
    findById: async (id) => byId.get(id) ?? null
  }
}

const credentials = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: { email: { type: 'string', minLength: 3, maxLength: 254 }, password: { type: 'string', minLength: 8, maxLength: 1024 } }
}

export async function buildApp ({ logger = false, users = createUserTable() } = {}) {
  const app = Fastify({ logger })
  // The host's own error shape, for its own routes. begin()'s refusals must not come out in it.
  app.setErrorHandler(async (err, request, reply) => {
    if ((err.statusCode ?? 500) >= 500) request.log.error(err)
    return await reply.code(err.statusCode ?? 500).send({ message: err.message })
  })

  await app.register(cookie)
  // @fastify/session's MemoryStore: server-side and destroy(id) (one instance; see the README's "Sessions").
  await app.register(session, {
    secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    saveUninitialized: false,
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' }
  })
  await app.register(mfaCore, {
    store: 'memory',
    encryptionKeys: [{ id: 'dropin-1', key: process.env.MFA_ENCRYPTION_KEY ?? randomBytes(32).toString('base64') }]
  })
  await app.register(backupCodes)
  await app.register(totp, { issuer: 'Drop-in', accountName: async (request) => (await users.findById(request.mfa.userId))?.email ?? request.mfa.userId })
  await app.register(mfaLogin, {
    findUserByLogin: (login) => users.findByEmail(login), // the host's record: { id, email, passwordHash (scrypt), createdAt }
    getUser: (id) => users.findById(id),
    // The only place the host marks its session signed in: after the second factor, on every path.
    onSignedIn: async (request, _reply, { userId, aal }) => {
      const user = await users.findById(userId)
      request.session.user = { id: userId, email: user?.email ?? null, aal }
    }
  })

  app.post('/signup', { schema: { body: credentials } }, async (request, reply) => {
    const user = await users.add(request.body.email, request.body.password)
    if (!user) return await reply.code(409).send({ message: 'that address is taken' })
    return await reply.code(201).send({ id: user.id })
  })

  // The host's own password check (no response schema: begin() answers like POST /auth/login).
  const dummy = hashPassword('not the password of anyone')
  app.post('/login', { schema: { body: credentials } }, async (request, reply) => {
    const user = await users.findByEmail(request.body.email)
    const ok = await verifyPassword(request.body.password, user?.passwordHash ?? await dummy)
    if (!user || !ok) return await reply.code(401).send({ message: 'wrong email or password' })
    return app.mfa.login.begin(request, reply, user.id)
  })

  // Guarded by the host's own session field only.
  app.get('/account', async (request, reply) => {
    const user = request.session.user
    if (!user) return await reply.code(401).send({ message: 'sign in first' })
    return { user, mfaSignedIn: request.mfa.signedIn, aal: request.mfa.aal }
  })

  // Guarded by fastify-mfa: a second factor.
  app.get('/billing', { preHandler: app.mfa.require({ aal: 2 }) }, async (request) => {
    return { billing: 'ok', userId: request.mfa.userId, aal: request.mfa.aal }
  })

  return app
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await buildApp({ logger: true })
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
}
