// The peer the comparison benchmarks run against: an in-process Better Auth (email and password,
// the twoFactor plugin) mounted in a Fastify app as Better Auth documents for Fastify (a catch-all
// route turning the request into a Web `Request` for `auth.handler` and sending its `Response`).
// Its data: its MongoDB adapter on a database of its own on the same server as ours (MONGODB_URI),
// or, on the memory run, its memory adapter. Passwords: bcrypt at the cost the benchmark gives, the
// same as ours (Better Auth's default is scrypt). Its rate limiter is off, as ours is.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import bcrypt from 'bcrypt'
import { betterAuth } from 'better-auth'
import { twoFactor } from 'better-auth/plugins/two-factor'
import { mongodbAdapter } from 'better-auth/adapters/mongodb'
import { memoryAdapter } from 'better-auth/adapters/memory'
import { listen, pool } from './harness.mjs'

/** The installed Better Auth's version (its package.json is not among its exports). */
export const betterAuthVersion = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('better-auth')), 'utf8')).version

const json = { 'content-type': 'application/json' }

/** Node request → Web Request; the body Fastify parsed goes on as JSON. */
function toWebRequest (request, baseUrl) {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === 'content-length' || value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined
  return new Request(new URL(request.url, baseUrl), { method: request.method, headers, ...(hasBody ? { body: JSON.stringify(request.body) } : {}) })
}

/**
 * Better Auth on `database` (a MongoDB `Db` of its own, with `client`, or 'memory'), listening on
 * 127.0.0.1. Returns { app, auth, url, origin, store }.
 */
export async function buildBetterAuthApp (t, { database, client, bcryptCost, onApp }) {
  const app = Fastify({ logger: false })
  if (onApp) onApp(app)
  let auth = null
  let baseUrl = null
  app.route({
    method: ['GET', 'POST'],
    url: '/api/auth/*',
    async handler (request, reply) {
      const response = await auth.handler(toWebRequest(request, baseUrl))
      reply.status(response.status)
      for (const [name, value] of response.headers) if (name !== 'set-cookie') reply.header(name, value)
      const cookies = response.headers.getSetCookie()
      if (cookies.length > 0) reply.header('set-cookie', cookies)
      return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null)
    }
  })
  t.teardown(() => app.close())
  baseUrl = await listen(app)
  auth = betterAuth({
    baseURL: baseUrl,
    secret: randomBytes(32).toString('hex'),
    // FerretDB and a standalone mongod have no transactions: the adapter is told so.
    database: database === 'memory' ? memoryAdapter({ user: [], session: [], account: [], verification: [], twoFactor: [] }) : mongodbAdapter(database, { client, transaction: false }),
    emailAndPassword: {
      enabled: true,
      password: {
        hash: (password) => bcrypt.hash(password, bcryptCost),
        verify: ({ hash, password }) => bcrypt.compare(password, hash)
      }
    },
    // No code at enrolment: every code a benchmark sends is the user's first.
    plugins: [twoFactor({ issuer: 'Bench', skipVerificationOnEnable: true })],
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: 'error' }
  })
  const store = database === 'memory'
    ? 'memory (Better Auth memoryAdapter: arrays scanned per query)'
    : `mongodb, database ${database.databaseName}, mongodbAdapter (transaction: false)`
  return { app, auth, url: baseUrl, origin: new URL(baseUrl).origin, store }
}

/** `name=value; …` of the cookies an answer sets and does not expire at once. */
export function liveCookies (res) {
  return res.cookies.filter((c) => c.maxAge !== 0 && c.value !== '').map((c) => `${c.name}=${c.value}`).join('; ')
}

/**
 * Signs `users` (makeUsers()'s, emails prefixed with `ba-`) up and, when `totp`, turns two-factor
 * on through the HTTP routes (`/sign-up/email`, `/two-factor/enable`); returns them with their
 * TOTP secret (base32, from the otpauth URI).
 */
export async function enrolBetterAuth (peer, users, { totp = true, concurrency = 8 } = {}) {
  return await pool(users, concurrency, async (user) => {
    const email = `ba-${user.email}`
    const signUp = await peer.app.inject({ method: 'POST', url: '/api/auth/sign-up/email', headers: json, payload: { email, password: user.password, name: user.id } })
    if (signUp.statusCode !== 200) throw new Error(`Better Auth sign-up failed: ${signUp.statusCode} ${signUp.body}`)
    if (!totp) return { ...user, email }
    const enable = await peer.app.inject({
      method: 'POST',
      url: '/api/auth/two-factor/enable',
      headers: { ...json, origin: peer.origin, cookie: liveCookies(signUp) },
      payload: { password: user.password }
    })
    if (enable.statusCode !== 200) throw new Error(`Better Auth two-factor enable failed: ${enable.statusCode} ${enable.body}`)
    const secret = new URL(enable.json().totpURI).searchParams.get('secret')
    return { ...user, email, secret }
  })
}

/** The password step of a two-factor user: the cookie naming its two-factor challenge. */
export async function betterAuthChallenge (peer, user) {
  const res = await peer.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', headers: json, payload: { email: user.email, password: user.password } })
  if (res.statusCode !== 200 || res.json().twoFactorRedirect !== true) throw new Error(`Better Auth sign-in: expected a two-factor redirect, got ${res.statusCode} ${res.body}`)
  return liveCookies(res)
}
