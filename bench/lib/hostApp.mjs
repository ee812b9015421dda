// A host app as examples/host-app builds it, for the benchmarks that compare with Better Auth and
// count database commands: @fastify/cookie, @fastify/session with the example's own session store
// (CollectionSessionStore, sessions in a `sessions` collection of a store), core (on a fake clock,
// given that session store, as the example does) and the real built factor plugins and mfa-login,
// without rate limits so only the work of a login is measured. Unlike loginApp.mjs (buildTestApp,
// sessions in @fastify/session's memory store), sessions here live in the database, as Better
// Auth's do. `POST /__test/session` signs a session in with given MFA state, like buildTestApp's.
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import mfaCore, { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import mfaTotp from '@fastify-mfa/totp'
import mfaBackupCodes from '@fastify-mfa/backup-codes'
import mfaLogin from '@fastify-mfa/mfa-login'
import { fakeClock } from '@fastify-mfa/testing'
// The example app's session store, as built by `npm run build` (examples/host-app/dist).
import { CollectionSessionStore, sessionIndexes } from 'host-app/dist/sessionStore.js'

const storeOf = (store) => (store === 'memory' ? createMemoryStore() : createMongoStore(store))

/**
 * Host users in a `users` collection of the library's store, read by the host's lookups like the
 * example's (`_id` = the email, an index on `id`); `users` are makeUsers()'s.
 */
export async function storedUsers (mfaStore, users) {
  const collection = mfaStore.collection('users')
  for (const user of users) await collection.insertOne({ _id: user.email, ...user })
  const strip = (doc) => (doc ? { ...doc, _id: undefined } : null)
  return {
    collection,
    findUserByLogin: async (login) => strip(await collection.findOne({ _id: login })),
    getUser: async (id) => strip(await collection.findOne({ id }))
  }
}

/**
 * `store` is the library's ('memory' or a Db); `sessionStore` the store of the sessions collection
 * (default: the same one; the commands benchmark gives a Db on a client of its own, to count apart).
 * `users`: makeUsers()'s users, kept in memory (`hostUsers: 'memory'`) or stored (`'store'`).
 * `plugins`: [plugin, options] registered after backup codes and TOTP, before mfa-login.
 */
export async function buildHostApp (t, { store, sessionStore = store, users, hostUsers = 'memory', bcryptCost, plugins = [], routes, clock = fakeClock() }) {
  const mfaStore = storeOf(store)
  const sessionsStore = sessionStore === store ? mfaStore : storeOf(sessionStore)
  const sessions = sessionsStore.collection('sessions')
  const sessionStoreInstance = new CollectionSessionStore(sessions)
  let lookups
  if (hostUsers === 'store') {
    lookups = await storedUsers(mfaStore, users)
  } else {
    const byId = new Map(users.map((u) => [u.id, u]))
    const byEmail = new Map(users.map((u) => [u.email, u]))
    lookups = { findUserByLogin: async (login) => byEmail.get(login) ?? null, getUser: async (id) => byId.get(id) ?? null }
  }
  const app = Fastify({ logger: false })
  await app.register(cookie)
  await app.register(session, {
    secret: randomBytes(32).toString('hex'),
    saveUninitialized: false,
    cookieName: 'sessionId',
    cookie: { secure: false, httpOnly: true, sameSite: 'lax', path: '/', maxAge: 8 * 3600 * 1000 },
    store: sessionStoreInstance
  })
  await app.register(mfaCore, {
    store: mfaStore,
    encryptionKeys: [{ id: 'bench', key: randomBytes(32) }],
    sessionStore: sessionStoreInstance,
    now: clock.now
  })
  app.mfa.ensureIndexes(sessions, sessionIndexes)
  if (hostUsers === 'store') app.mfa.ensureIndexes(lookups.collection, [{ name: 'id', key: { id: 1 }, unique: true }])
  await app.register(mfaBackupCodes, { cost: 4 })
  await app.register(mfaTotp, { issuer: 'Bench' })
  for (const [plugin, options] of plugins) await app.register(plugin, options ?? {})
  await app.register(mfaLogin, {
    findUserByLogin: lookups.findUserByLogin,
    getUser: lookups.getUser,
    bcryptCost,
    rateLimit: false
  })
  app.post('/__test/session', async (request) => {
    const { mfaTime, mfaMethod, ...state } = request.body
    if (mfaTime !== undefined) state.checks = { [mfaMethod ?? 'totp']: { at: mfaTime, aal: Math.max(2, state.aal ?? 2) } }
    await app.mfa.sessions.establish(request, state)
    return { ok: true }
  })
  if (routes) await routes(app)
  await app.ready()
  t.teardown(() => app.close())
  return { app, clock, mfaStore }
}
