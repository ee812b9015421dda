import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { agent, freshStore, type Agent } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
// The software authenticator (node:crypto P-256, 'none' attestation, ES256 assertions) of the webauthn tests.
import { SoftAuthenticator } from '../../../packages/webauthn/test/helpers/softAuthenticator.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

interface Teardown { teardown(fn: () => unknown): void }

export const PORT = '3999'
export const ORIGIN = `http://localhost:${PORT}`
export const PASSWORD = 'correct horse battery'
export const ADMIN = 'root@example.com'

/** A settable offset on core's clock: `clock.skew += 301_000` makes every second factor stale. */
export interface Clock { skew: number }

/** The example app on a new, empty store of `kind` (a fresh MongoDB database, dropped in teardown), closed in teardown. */
export async function startApp (t: Teardown, kind: 'memory' | 'mongodb',
  env: Record<string, string> = {}, clock: Clock = { skew: 0 }): Promise<FastifyInstance> {
  const store = await freshStore(t, kind)
  const app = await buildApp(loadConfig({ ADMIN_EMAILS: ADMIN, PORT, ...env }), {
    store: store === 'memory' ? createMemoryStore() : createMongoStore(store),
    logger: false,
    now: () => Date.now() + clock.skew
  })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** A browser (cookie jar) with JSON helpers. */
export function user (app: FastifyInstance): Agent & {
  post: (url: string, payload?: object) => ReturnType<Agent['inject']>
  del: (url: string) => ReturnType<Agent['inject']>
  get: (url: string) => ReturnType<Agent['inject']>
} {
  const browser = agent(app)
  return Object.assign(browser, {
    post: async (url: string, payload: object = {}) => await browser.inject({ method: 'POST', url, payload }),
    del: async (url: string) => await browser.inject({ method: 'DELETE', url }),
    get: async (url: string) => await browser.inject({ url })
  })
}
export type User = ReturnType<typeof user>

/** Signs up through the app's own route; returns the new user's id. */
export async function signUp (browser: User, email: string, password = PASSWORD): Promise<string> {
  const res = await browser.post('/api/signup', { email, password })
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.body}`)
  return res.json().id
}

/** A mail of the development outbox (`GET /dev/mail.json`, newest first). */
export interface Mail { id: string, at: string, from: string, to: string[], subject: string, text: string, html: string | null }

/** The development outbox's mails, newest first. */
export async function outbox (app: FastifyInstance): Promise<Mail[]> {
  const res = await app.inject({ url: '/dev/mail.json' })
  if (res.statusCode !== 200) throw new Error(`no outbox: ${res.statusCode}`)
  return res.json()
}

/** The six-digit code of the newest mail to `email` whose subject matches `subject`. */
export async function mailedCode (app: FastifyInstance, email: string, subject: RegExp): Promise<string> {
  const mail = (await outbox(app)).find((m) => m.to.includes(email) && subject.test(m.subject))
  const code = mail?.text.match(/\b(\d{6})\b/)?.[1]
  if (!code) throw new Error(`no mail to ${email} with a code matching ${subject}`)
  return code
}

export const VERIFY_SUBJECT = /^Verify your email/

/** Signs in with the password and verifies the address with the code sign-up mailed; returns the answer of the verification. */
export async function verifyEmail (browser: User, app: FastifyInstance, email: string, password = PASSWORD): Promise<Record<string, unknown>> {
  const login = await browser.post('/auth/login', { login: email, password })
  if (login.statusCode !== 200) throw new Error(`sign-in failed: ${login.body}`)
  const res = await browser.post('/api/verify-email', { code: await mailedCode(app, email, VERIFY_SUBJECT) })
  if (res.statusCode !== 200) throw new Error(`verification failed: ${res.body}`)
  return res.json()
}

/**
 * An administrator as the app makes one: sign-up with an ADMIN_EMAILS address, the address
 * verified (which signs every session out), then the password again: an enrol-only session, as the
 * admin policy wants a security key the new admin does not have yet.
 */
export async function signUpAdmin (browser: User, app: FastifyInstance, email = ADMIN): Promise<string> {
  const id = await signUp(browser, email)
  const verified = await verifyEmail(browser, app, email)
  if (verified.signedOut !== true) throw new Error(`expected the new admin to be signed out: ${JSON.stringify(verified)}`)
  const login = await browser.post('/auth/login', { login: email, password: PASSWORD })
  if (login.json().enrollmentRequired !== true) throw new Error(`expected an enrol-only session: ${login.body}`)
  return id
}

/** Registers a software security key for the signed-in user (a first factor needs no step-up). */
export async function addKey (browser: User): Promise<SoftAuthenticator> {
  const key = new SoftAuthenticator(ORIGIN, 'localhost')
  const options = await browser.post('/mfa/webauthn/register/options', { name: 'YubiKey' })
  if (options.statusCode !== 200) throw new Error(`register options failed: ${options.body}`)
  const verified = await browser.post('/mfa/webauthn/register/verify', { response: key.register(options.json()), name: 'YubiKey' })
  if (verified.statusCode !== 200) throw new Error(`register verify failed: ${verified.body}`)
  return key
}

/** Password, then the security key: a fresh WebAuthn (level 3) sign-in. */
export async function signInWithKey (browser: User, email: string, key: SoftAuthenticator, password = PASSWORD): Promise<void> {
  const step1 = await browser.post('/auth/login', { login: email, password })
  if (step1.json().step !== 'mfa') throw new Error(`expected a second-factor step: ${step1.body}`)
  const options = await browser.post('/auth/login/webauthn/options')
  const done = await browser.post('/auth/login/webauthn/verify', { response: key.authenticate(options.json()) })
  if (done.json().step !== 'complete') throw new Error(`key sign-in failed: ${done.body}`)
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, as an authenticator app computes it. */
export function totpCode (secret: string, atMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** Turns on TOTP for the signed-in user; returns the secret and the instant its confirming code was for. */
export async function addTotp (browser: User): Promise<{ secret: string, usedAt: number }> {
  const setup = (await browser.post('/mfa/totp/setup')).json()
  const usedAt = Date.now()
  const confirm = await browser.post('/mfa/totp/confirm', { code: totpCode(setup.secret, usedAt) })
  if (confirm.statusCode !== 200) throw new Error(`TOTP confirm failed: ${confirm.body}`)
  return { secret: setup.secret, usedAt }
}
