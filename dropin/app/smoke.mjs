// Smoke test of the drop-in host (server.mjs) against the packed packages, outside the monorepo.
// Plain node:test + assert; app.inject with a small cookie jar; oathtool plays the phone.
//   node --test-reporter=spec smoke.mjs        (DROPIN_REPO=<repo root> also checks nothing resolves there)
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildApp } from './server.mjs'

const APP_DIR = fileURLToPath(new URL('.', import.meta.url))

/** A browser: keeps the cookies it is given and sends them back. */
function browser (app) {
  const jar = new Map()
  return {
    jar,
    async inject (opts) {
      const headers = { ...(opts.headers ?? {}) }
      if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      const res = await app.inject({ ...opts, headers })
      for (const c of res.cookies) {
        const gone = c.value === '' || c.maxAge === 0 || (c.expires && new Date(c.expires).getTime() <= Date.now())
        if (gone) jar.delete(c.name)
        else jar.set(c.name, c.value)
      }
      return res
    },
    post (url, payload) { return this.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) }) },
    get (url) { return this.inject({ method: 'GET', url }) }
  }
}

/** The code an authenticator app would show at `at` (epoch seconds). */
const totpAt = (secret, at) => execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(at)}`, secret], { encoding: 'utf8' }).trim()
const nowSec = () => Date.now() / 1000

const show = (res) => `${res.statusCode} ${res.body}`
const expectStatus = (res, status, what) => assert.equal(res.statusCode, status, `${what}: got ${show(res)}`)

const ALICE = { email: 'alice@example.test', password: 'correct horse battery staple' }
const BOB = { email: 'bob@example.test', password: 'another long password' }

let app
const state = {}
after(async () => { await app?.close() })

test('the packages resolve from the temporary app, not the repository', async () => {
  for (const name of ['@fastify-mfa/core', '@fastify-mfa/totp', '@fastify-mfa/backup-codes', '@fastify-mfa/mfa-login',
    '@fastify-mfa/webauthn', '@fastify-mfa/remember-device', '@fastify-mfa/sent-codes']) {
    const where = fileURLToPath(import.meta.resolve(name))
    assert.ok(where.startsWith(APP_DIR), `${name} resolves to ${where}, outside ${APP_DIR}`)
    if (process.env.DROPIN_REPO) assert.ok(!where.startsWith(process.env.DROPIN_REPO), `${name} resolves into the repository: ${where}`)
    await import(name) // every package loads (webauthn, remember-device, sent-codes are not registered by the host)
  }
})

test('the host starts with the plugins registered as the READMEs say', async () => {
  app = await buildApp()
  await app.ready()
  const s = browser(app)
  expectStatus(await s.post('/signup', ALICE), 201, 'sign-up in the host table')
  expectStatus(await s.post('/signup', BOB), 201, 'sign-up in the host table')
  const bad = await s.post('/login', { email: ALICE.email })
  expectStatus(bad, 400, 'host validation error')
  assert.equal(bad.json().code, undefined, 'the host error handler reshapes its own errors (so the lockout check below means something)')
})

test('password, no factor yet: signed in at once; host route 200, aal-2 route 403', async () => {
  const alice = state.alice = browser(app)
  const res = await alice.post('/login', ALICE)
  expectStatus(res, 200, 'POST /login')
  assert.deepEqual(res.json(), { step: 'complete', aal: 1 })
  const account = await alice.get('/account')
  expectStatus(account, 200, 'GET /account')
  assert.equal(account.json().user.email, ALICE.email)
  assert.equal(account.json().mfaSignedIn, true)
  const billing = await alice.get('/billing')
  expectStatus(billing, 403, 'GET /billing without a second factor')
  assert.equal(billing.json().code, 'FST_MFA_REQUIRED')
})

test('TOTP enrolment with oathtool; backup codes kept', async () => {
  const alice = state.alice
  const setup = await alice.post('/mfa/totp/setup')
  expectStatus(setup, 200, 'POST /mfa/totp/setup')
  const { secret, otpauthUrl, qrCodeDataUrl } = setup.json()
  assert.match(secret, /^[A-Z2-7]+=*$/, 'a base32 secret')
  assert.match(otpauthUrl, /^otpauth:\/\/totp\/Drop-in:/)
  assert.match(qrCodeDataUrl, /^data:image\/png;base64,/)
  state.secret = secret
  const confirm = await alice.post('/mfa/totp/confirm', { code: totpAt(secret, nowSec()) })
  expectStatus(confirm, 200, 'POST /mfa/totp/confirm')
  assert.equal(confirm.json().enabled, true)
  assert.equal(confirm.json().backupCodes?.length, 10, 'a first set of backup codes')
  state.backupCodes = confirm.json().backupCodes
  const summary = await alice.get('/mfa')
  expectStatus(summary, 200, 'GET /mfa')
  assert.equal(summary.json().totp, true)
  assert.equal(summary.json().backupCodes.remaining, 10)
})

test('sign out ends the host session too', async () => {
  const alice = state.alice
  expectStatus(await alice.post('/auth/logout'), 204, 'POST /auth/logout')
  expectStatus(await alice.get('/account'), 401, 'GET /account after sign-out')
})

test('the password alone opens nothing: /account 401, /billing 401/403 on a pending login', async () => {
  const alice = state.alice
  const sidBefore = alice.jar.get('sessionId')
  const res = await alice.post('/login', ALICE)
  expectStatus(res, 200, 'POST /login')
  const body = res.json()
  assert.equal(body.step, 'mfa')
  assert.ok(body.methods.includes('totp') && body.methods.includes('backup-code'), `methods: ${body.methods}`)
  assert.equal(typeof body.mfaToken, 'string')
  assert.ok(!Number.isNaN(Date.parse(body.expiresAt)))
  assert.notEqual(alice.jar.get('sessionId'), sidBefore, 'begin() gives the session a new id')
  const account = await alice.get('/account')
  expectStatus(account, 401, 'SECURITY: GET /account with the password alone')
  const billing = await alice.get('/billing')
  assert.ok([401, 403].includes(billing.statusCode), `SECURITY: GET /billing with the password alone: got ${show(billing)}`)
  const session = await alice.get('/auth/session')
  expectStatus(session, 200, 'GET /auth/session')
  assert.equal(session.json().signedIn, false, 'request.mfa.signedIn is false on a pending login')
  expectStatus(await alice.get('/mfa'), 401, 'GET /mfa on a pending login')
  expectStatus(await alice.post('/mfa/backup-codes'), 401, 'POST /mfa/backup-codes on a pending login')
})

test('the TOTP code completes the sign-in: /account 200, /billing 200', async () => {
  const alice = state.alice
  // The confirm spent the current time step (replay-proof): answer with the next one, inside the window.
  const res = await alice.post('/auth/login/verify', { method: 'totp', code: totpAt(state.secret, nowSec() + 30) })
  expectStatus(res, 200, 'POST /auth/login/verify (totp)')
  assert.equal(res.json().step, 'complete')
  assert.equal(res.json().aal, 2)
  const account = await alice.get('/account')
  expectStatus(account, 200, 'GET /account after the second factor')
  assert.equal(account.json().user.email, ALICE.email)
  assert.equal(account.json().mfaSignedIn, true)
  const billing = await alice.get('/billing')
  expectStatus(billing, 200, 'GET /billing after the second factor')
  assert.equal(billing.json().aal, 2)
})

test('sign-in with a backup code', async () => {
  const alice = state.alice
  expectStatus(await alice.post('/auth/logout'), 204, 'POST /auth/logout')
  expectStatus(await alice.get('/account'), 401, 'GET /account after sign-out')
  const res = await alice.post('/login', ALICE)
  assert.equal(res.json().step, 'mfa', show(res))
  expectStatus(await alice.get('/account'), 401, 'SECURITY: GET /account with the password alone')
  const verify = await alice.post('/auth/login/verify', { method: 'backup-code', code: state.backupCodes[0] })
  expectStatus(verify, 200, 'POST /auth/login/verify (backup-code)')
  assert.equal(verify.json().step, 'complete')
  expectStatus(await alice.get('/account'), 200, 'GET /account after a backup code')
  expectStatus(await alice.get('/billing'), 200, 'GET /billing after a backup code')
  assert.equal((await alice.get('/mfa/backup-codes')).json().remaining, 9)
})

test('a wrong password gets the host\'s 401', async () => {
  const stranger = browser(app)
  for (const creds of [{ email: ALICE.email, password: 'wrong password!' }, { email: 'nobody@example.test', password: 'wrong password!' }]) {
    const res = await stranger.post('/login', creds)
    expectStatus(res, 401, 'POST /login with a wrong password')
    assert.deepEqual(res.json(), { message: 'wrong email or password' })
  }
  expectStatus(await stranger.get('/account'), 401, 'GET /account')
})

test('mfa-login\'s own POST /auth/login does not let the host\'s users in (their hash is scrypt, not bcrypt)', async () => {
  const other = browser(app)
  const res = await other.post('/auth/login', { login: ALICE.email, password: ALICE.password })
  expectStatus(res, 401, 'POST /auth/login with a scrypt-hashed user')
  assert.equal(res.json().code, 'FST_MFA_INVALID_CREDENTIALS')
  expectStatus(await other.get('/account'), 401, 'GET /account')
})

test('a locked account through begin() keeps the suite\'s error shape despite the host\'s error handler', async () => {
  const alice = state.alice
  expectStatus(await alice.post('/auth/logout'), 204, 'POST /auth/logout')
  assert.equal((await alice.post('/login', ALICE)).json().step, 'mfa')
  const now = nowSec()
  const live = new Set([-60, -30, 0, 30, 60].map((d) => totpAt(state.secret, now + d)))
  const wrong = ['000000', '111111', '222222', '333333', '444444', '555555'].filter((c) => !live.has(c))
  // First a spent backup code (refused: single use), then wrong TOTP codes, until the lock.
  const attempts = [{ method: 'backup-code', code: state.backupCodes[0] }, ...wrong.slice(0, 4).map((code) => ({ method: 'totp', code }))]
  const answers = []
  for (const a of attempts) {
    const res = await alice.post('/auth/login/verify', a)
    answers.push(res.statusCode)
    if (res.statusCode === 423) break
    expectStatus(res, 401, 'a wrong code')
    assert.equal(res.json().code, 'FST_MFA_INVALID_CODE')
  }
  expectStatus(await alice.get('/account'), 401, 'GET /account after wrong codes')
  const locked = await browser(app).post('/login', ALICE)
  expectStatus(locked, 423, `POST /login (right password) on a locked account, after ${answers.join(',')}`)
  const body = locked.json()
  assert.equal(body.code, 'FST_MFA_LOCKED', `the suite's code, not the host's shape: ${locked.body}`)
  assert.equal(body.statusCode, 423)
  assert.equal(body.error, 'Locked')
  assert.equal(typeof body.retryAfter, 'number')
  assert.ok(body.retryAfter > 0)
  assert.equal(locked.headers['retry-after'], String(body.retryAfter), 'Retry-After header')
})

test('a user without a factor: complete at once, /billing asks for a second factor', async () => {
  const bob = browser(app)
  const res = await bob.post('/login', BOB)
  assert.deepEqual(res.json(), { step: 'complete', aal: 1 })
  expectStatus(await bob.get('/account'), 200, 'GET /account')
  const billing = await bob.get('/billing')
  expectStatus(billing, 403, 'GET /billing')
  assert.equal(billing.json().code, 'FST_MFA_REQUIRED')
})
