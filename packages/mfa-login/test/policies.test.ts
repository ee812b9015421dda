import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

type Agent = ReturnType<typeof agent>
const login = (a: Agent, email: string) => a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password: PASSWORD } })
const DAY = 86_400

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0], options: { login?: object, remembered?: Set<string> } = {}) {
    const clock = fakeClock()
    const users = new Map([
      ['alice', user('alice')],
      ['admin', user('admin', { roles: ['admin'] })],
      ['newbie', user('newbie', { createdAt: new Date(clock.ms) })],
      ['oldie', user('oldie', { createdAt: new Date(clock.ms - 30 * DAY * 1000) })]
    ])
    const totp = fakeCodeFactor('totp', new Set(['alice', 'admin']))
    const keyUsers = new Set(['admin'])
    const key = fakeCodeFactor('webauthn', keyUsers, { phishingResistant: true })
    const remembered = options.remembered ?? new Set<string>()
    const app = await buildLoginApp(t, {
      users,
      clock,
      store: await freshStore(t, kind),
      factors: [totp.factor, key.factor],
      login: { rateLimit: false, roles: { admin: { methods: ['webauthn'] } }, ...options.login }
    })
    // A stand-in for @fastify-mfa/remember-device: a listed user's browser counts as remembered.
    app.mfa.devices = { check: async (_r, userId) => remembered.has(userId), remember: async (_r, _p, userId) => { remembered.add(userId) }, revokeAll: async () => 0 }
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    return { app, clock, events, remembered, key, keyUsers }
  }

  t.test('a role needing WebAuthn refuses TOTP and remembered devices', async (t) => {
    const { app } = await setup(t, { remembered: new Set(['admin']) })
    const a = agent(app)
    t.match((await login(a, 'admin@example.com')).json(), { step: 'mfa', methods: ['webauthn'] }, 'the remembered device is ignored')
    const res = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-admin' } })
    t.equal(res.json().code, 'FST_MFA_METHOD_NOT_ALLOWED')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
  })

  t.test('regression: a role needing WebAuthn, for a user with TOTP only: TOTP first, then a session that can only enrol', async (t) => {
    const { app } = await setup(t)
    await app.mfa.factors.get('webauthn')!.remove('admin') // the admin has TOTP only
    const a = agent(app)
    t.match((await login(a, 'admin@example.com')).json(), { step: 'mfa', methods: ['totp'] }, 'the password alone gives nothing')
    t.equal((await a.inject({ url: '/mfa-enrol' })).statusCode, 401)
    t.match((await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-admin' } })).json(),
      { step: 'complete', aal: 2, enrollmentRequired: true })
    t.equal((await a.inject({ url: '/protected' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
    t.equal((await a.inject({ url: '/mfa-manage' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED', 'only the enrolment routes')
    t.equal((await a.inject({ url: '/auth/events' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
    t.equal((await a.inject({ url: '/mfa-enrol' })).statusCode, 200, 'fresh from the TOTP check: may add the key')
  })

  t.test('a role needing WebAuthn, for a user without any factor: the password gives a session that can only enrol', async (t) => {
    const { app, keyUsers } = await setup(t)
    keyUsers.delete('admin')
    await app.mfa.factors.get('totp')!.remove('admin')
    const a = agent(app)
    t.match((await login(a, 'admin@example.com')).json(), { step: 'complete', aal: 1, enrollmentRequired: true })
    t.equal((await a.inject({ url: '/protected' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
    t.equal((await a.inject({ url: '/mfa-enrol' })).statusCode, 200)
  })

  t.test('a step-up with a method the role does not allow keeps the session enrol-only', async (t) => {
    const { app, key, keyUsers } = await setup(t)
    await key.factor.remove('admin') // the admin has TOTP only
    const a = agent(app)
    await login(a, 'admin@example.com')
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-admin' } })
    const stepUp = (method: string) => a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method, code: 'ok-admin' } })
    t.equal((await stepUp('totp')).statusCode, 200)
    t.equal((await a.inject({ url: '/protected' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED', 'TOTP does not meet the admin policy')
    t.match((await a.inject({ url: '/auth/session' })).json(), { enrollOnly: true, fresh: true }, 'fresh enough to add the key')
    keyUsers.add('admin') // the admin adds a security key
    t.match((await stepUp('totp')).json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['webauthn'] }, 'once the key is there, TOTP no longer counts')
    t.equal((await stepUp('webauthn')).statusCode, 200)
    t.equal((await a.inject({ url: '/protected' })).statusCode, 200, 'a step-up with the key the role needs ends enrol-only')
  })

  t.test('a user with several restricted roles must satisfy all of them', async (t) => {
    const { app } = await setup(t, {
      login: {
        roles: { admin: { methods: ['webauthn'] }, auditor: { methods: ['totp', 'webauthn'] } },
        getRoles: (u: { id: string, roles?: string[] }) => u.id === 'admin' ? ['admin', 'auditor'] : u.roles ?? []
      }
    })
    const a = agent(app)
    t.match((await login(a, 'admin@example.com')).json(), { step: 'mfa', methods: ['webauthn'] }, 'only the methods every role allows')
    const res = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-admin' } })
    t.equal(res.json().code, 'FST_MFA_METHOD_NOT_ALLOWED')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
  })

  t.test('a remembered device skips the second factor but is never fresh', async (t) => {
    const { app } = await setup(t, { remembered: new Set(['alice']) })
    const a = agent(app)
    t.match((await login(a, 'alice@example.com')).json(), { step: 'complete', aal: 2 })
    t.match((await a.inject({ url: '/auth/session' })).json(), { amr: ['pwd', 'rmd', 'mfa'], mfaTime: null, fresh: false })
    t.equal((await a.inject({ url: '/protected' })).statusCode, 200)
    t.equal((await a.inject({ url: '/mfa-manage' })).statusCode, 403, 'factor changes need a real second factor')
  })

  t.test('rememberDevice at the second factor asks remember-device to remember', async (t) => {
    const { app, remembered } = await setup(t)
    const a = agent(app)
    await login(a, 'alice@example.com')
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice', rememberDevice: true } })
    t.ok(remembered.has('alice'))
  })

  t.test('grace period: required mode lets new users in, then only to enrol', async (t) => {
    const { app } = await setup(t, { login: { mode: 'required', gracePeriod: 7 } })
    const fresh = agent(app)
    t.match((await login(fresh, 'newbie@example.com')).json(), { step: 'complete', aal: 1, suggestEnrollment: true })
    t.notOk((await fresh.inject({ url: '/auth/session' })).json().enrollOnly)
    const late = agent(app)
    t.match((await login(late, 'oldie@example.com')).json(), { step: 'complete', aal: 1, enrollmentRequired: true })
    const guarded = await late.inject({ url: '/protected' })
    t.equal(guarded.json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
    t.equal((await late.inject({ url: '/mfa-enrol' })).statusCode, 200, 'enrolment routes stay open')
    t.equal((await late.inject({ url: '/auth/events' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED', 'the rest does not')
  })

  t.test('step-up after freshAge refreshes mfaTime with a new session id', async (t) => {
    const { app, clock } = await setup(t)
    const a = agent(app)
    await login(a, 'alice@example.com')
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.equal((await a.inject({ url: '/mfa-manage' })).statusCode, 200)
    clock.advance(301)
    const stale = await a.inject({ url: '/mfa-manage' })
    t.match(stale.json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['totp'] })
    const before = a.jar.get('sessionId')
    t.equal((await a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'totp', code: 'wrong' } })).json().code, 'FST_MFA_INVALID_CODE')
    const ok = await a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.equal(ok.statusCode, 200)
    t.not(a.jar.get('sessionId'), before, 'session regenerated')
    t.equal((await a.inject({ url: '/mfa-manage' })).statusCode, 200)
    t.equal((await agent(app).inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'totp', code: 'ok-alice' } })).statusCode, 401, 'step-up needs a session')
  })

  t.test('admin reset removes factors, ends pending logins and is audited', async (t) => {
    const { app, events } = await setup(t)
    const pending = agent(app)
    const { mfaToken } = (await login(pending, 'alice@example.com')).json()
    await app.mfa.admin.reset('alice', { actor: 'support@example.com', reason: 'lost phone' })
    t.same(await app.mfa.factors.enrolled('alice'), [])
    const res = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED')
    t.match(events.find((e) => e.type === 'recovery.admin_reset'), { userId: 'alice', details: { actor: 'support@example.com', reason: 'lost phone', removed: ['totp'] } })
    t.ok(events.some((e) => e.type === 'security_stamp.changed'))
    await t.rejects(app.mfa.admin.reset('alice', { actor: '', reason: 'x' }), /actor/)
  })

  t.test('hosts with their own password check call login.begin()', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    const begun = await a.inject({ method: 'POST', url: '/my-login', payload: { userId: 'alice' } })
    t.match(begun.json(), { step: 'mfa', methods: ['totp'] })
    t.match((await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })).json(), { step: 'complete', aal: 2 })
    t.match((await agent(app).inject({ method: 'POST', url: '/my-login', payload: { userId: 'oldie' } })).json(), { step: 'complete', aal: 1 })
  })

  t.test('every step is audited, with no secrets', async (t) => {
    const { app, events } = await setup(t)
    const a = agent(app)
    await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: 'wrong' } })
    const { mfaToken } = (await login(a, 'alice@example.com')).json()
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'bad-code-1' } })
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })
    await a.inject({ method: 'POST', url: '/auth/logout' })
    // Ids order events by when they were emitted (hooks of concurrent emits may run in either order).
    t.same([...events].sort((x, y) => x._id.localeCompare(y._id)).map((e) => e.type), ['login.password_failed', 'login.password_ok', 'mfa.code_refused', 'mfa.code_accepted', 'device_cookie.issued', 'login.success', 'logout'])
    const text = JSON.stringify(events)
    for (const secret of [PASSWORD, 'wrong', 'bad-code-1', 'ok-alice', mfaToken]) t.notMatch(text, secret)
    t.ok(events.every((e) => e.userId === 'alice' && e.at instanceof Date))
    const listed = (await agent(app).inject({ url: '/auth/events' })).statusCode
    t.equal(listed, 401)
  })
})

t.test('suggestEnrollment: a user without MFA is nudged after a new browser or a password reset', async (t) => {
  const clock = fakeClock()
  const app = await buildLoginApp(t, { users: new Map([['carol', user('carol')]]), clock, login: { rateLimit: false } })
  const signIn = async (ua: string) => {
    const a = agent(app)
    await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'carol@example.com', password: PASSWORD }, headers: { 'user-agent': ua } })
    clock.advance(1)
    return (await a.inject({ url: '/auth/session' })).json().suggestEnrollment
  }
  t.equal(await signIn('Firefox/1'), false, 'a first login is not suspicious')
  t.equal(await signIn('Firefox/1'), false, 'the same browser again')
  t.equal(await signIn('Chrome/2'), true, 'a new browser')
  t.equal(await signIn('Chrome/2'), false, 'known by now')
  await app.mfa.securityStampChanged('carol', { reason: 'password_reset' })
  clock.advance(1)
  t.equal(await signIn('Chrome/2'), true, 'after a password reset')
})
