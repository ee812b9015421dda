import { execFileSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { connect } from 'node:net'
import type { Test as TapTest } from 'tap'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createMongoStore } from '@fastify-mfa/core'
import { storeKinds, testDb } from '@fastify-mfa/testing'
import { buildApp } from 'host-app/dist/app.js'
import { loadConfig } from 'host-app/dist/config.js'

type Test = Parameters<typeof testDb>[0]
type Db = Awaited<ReturnType<typeof testDb>>

export const REDIS_URL = 'redis://127.0.0.1:6379'
export const ORIGIN = 'http://localhost:3000'
export const RP_ID = 'localhost'
export const PASSWORD = 'correct horse battery'

// What every instance of one deployment shares: the secrets, the database and the Redis store.
const shared = {
  SESSION_SECRET: randomBytes(32).toString('hex'),
  MFA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  REDIS_URL,
  RP_ID,
  ORIGIN,
  PORT: '3000'
}

/** Whether the Redis rate-limit store answers (.ci/run starts it). */
/**
 * The database two instances share, or null when this run leaves MongoDB out (the test then plans
 * nothing). Fails the test when Redis, which the shared rate limits need, is not reachable.
 */
export async function sharedDatabase (t: TapTest): Promise<Db | null> {
  if (!storeKinds().includes('mongodb')) {
    t.plan(0, 'several instances share a MongoDB database (FASTIFY_MFA_STORES excludes mongodb)')
    return null
  }
  if (!await redisReachable()) {
    t.fail('Redis is not reachable on 127.0.0.1:6379 (.ci/run starts it)')
    return null
  }
  return await testDb(t)
}

export async function redisReachable (): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1')
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

/**
 * Two example-app instances built from one configuration on one database, as two processes behind
 * a load balancer would be. Closed in teardown (before the database is dropped).
 */
export async function twoInstances (t: Test, db: Db, env: Record<string, string> = {}): Promise<{ a: FastifyInstance, b: FastifyInstance }> {
  const config = loadConfig({ ...shared, AUTH_RATE_LIMIT: '1000', ...env })
  const a = await buildApp(config, { store: createMongoStore(db), logger: false })
  const b = await buildApp(config, { store: createMongoStore(db), logger: false })
  t.teardown(async () => { await Promise.all([a.close(), b.close()]) })
  await Promise.all([a.ready(), b.ready()])
  return { a, b }
}

/** A random private address per run, so Redis counters from earlier runs do not interfere. */
export const randomIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
/** A random address per run too: the per-account rate limit in Redis is keyed by the login. */
export const randomEmail = (name: string): string => `${name}-${randomBytes(4).toString('hex')}@example.com`

/** One browser: a cookie jar and an address, usable against either instance. */
export function browser (remoteAddress = randomIp()) {
  const jar = new Map<string, string>()
  const absorb = (res: LightMyRequestResponse): LightMyRequestResponse => {
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number, expires?: Date }>) {
      if (c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    return res
  }
  const inject = async (app: FastifyInstance, opts: InjectOptions): Promise<LightMyRequestResponse> => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    return absorb(await app.inject({ remoteAddress, ...opts, headers: { ...(cookie ? { cookie } : {}), ...opts.headers } }))
  }
  return {
    jar,
    remoteAddress,
    inject,
    /** Takes the cookies of a response obtained elsewhere (a request made without this jar). */
    absorb,
    post: async (app: FastifyInstance, url: string, payload: object = {}) => await inject(app, { method: 'POST', url, payload }),
    get: async (app: FastifyInstance, url: string) => await inject(app, { method: 'GET', url })
  }
}
export type Browser = ReturnType<typeof browser>

/** What an authenticator app shows at `atMs` (oathtool, like a phone would compute it). */
export const oathtool = (secret: string, atMs: number): string =>
  execFileSync('oathtool', ['--totp', '-b', '--now', new Date(atMs).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim()

/** A six-digit code that none of the codes around `atMs` (±2 steps) equals. */
export function wrongCode (secret: string, atMs: number): string {
  const near = new Set([-2, -1, 0, 1, 2].map((step) => oathtool(secret, atMs + step * 30_000)))
  for (let n = 0; ; n++) {
    const code = String((123456 + n * 111111) % 1_000_000).padStart(6, '0')
    if (!near.has(code)) return code
  }
}

/** Signs up and signs in (password only) through `app`; the user has no factor yet. */
export async function signedUp (app: FastifyInstance, user: Browser, email: string): Promise<void> {
  const signup = await user.post(app, '/api/signup', { email, password: PASSWORD })
  if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.body}`)
  const login = await user.post(app, '/auth/login', { login: email, password: PASSWORD })
  if (login.json().step !== 'complete') throw new Error(`login failed: ${login.body}`)
}

/**
 * A user with TOTP: set up on A, confirmed on B (the pending secret is encrypted with the shared
 * key), signed out. The confirming code is the one at `t0`; returns the secret and the backup codes.
 */
export async function totpUser ({ a, b }: { a: FastifyInstance, b: FastifyInstance }, email: string, t0: number) {
  const user = browser()
  await signedUp(a, user, email)
  const setup = (await user.post(a, '/mfa/totp/setup')).json() as { secret: string }
  const confirm = await user.post(b, '/mfa/totp/confirm', { code: oathtool(setup.secret, t0) })
  if (confirm.statusCode !== 200) throw new Error(`confirm failed: ${confirm.body}`)
  await user.post(a, '/auth/logout')
  return { email, secret: setup.secret, backupCodes: confirm.json().backupCodes as string[] }
}

/**
 * An administrator as the example app makes one: an ADMIN_EMAILS address signs up, verifies the
 * address with the code mailed to `app`'s development outbox (each instance keeps its own), which
 * signs the account out everywhere, and signs in again with the password (an enrol-only session
 * that may add the security key the admin role needs).
 */
export async function signedUpAdmin (app: FastifyInstance, user: Browser, email: string): Promise<void> {
  await signedUp(app, user, email)
  const mails = (await app.inject({ url: '/dev/mail.json' })).json() as Array<{ to: string[], subject: string, text: string }>
  const code = mails.find((m) => m.to.includes(email) && /verif/i.test(m.subject))?.text.match(/\b(\d{6})\b/)?.[1]
  if (!code) throw new Error(`no verification mail to ${email}`)
  const verified = await user.post(app, '/api/verify-email', { code })
  if (verified.statusCode !== 200) throw new Error(`verification failed: ${verified.body}`)
  const login = await user.post(app, '/auth/login', { login: email, password: PASSWORD })
  if (login.json().step !== 'complete') throw new Error(`login failed: ${login.body}`)
}
