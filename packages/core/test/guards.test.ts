import t from 'tap'
import { agent, buildTestApp, fakeClock } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'

const nowSec = (clock: { ms: number }) => Math.floor(clock.ms / 1000)

async function setup (t: Parameters<typeof buildTestApp>[0]) {
  const clock = fakeClock()
  const app = await buildTestApp(t, {
    core: mfaCore,
    store: 'memory',
    clock,
    routes: (app) => {
      app.get('/session', async (request) => ({ ...request.mfa, fresh: request.mfa.isFresh(300) }))
      app.get('/aal2', { preHandler: app.mfa.require({ aal: 2 }) }, async () => ({ ok: true }))
      app.get('/admin', { config: { mfa: { aal: 2, maxAge: 300, methods: ['webauthn'] } } }, async () => ({ ok: true }))
      app.get('/aal1', { preHandler: app.mfa.require({ aal: 1 }) }, async () => ({ ok: true }))
      app.get('/aal3-fresh', { preHandler: app.mfa.require({ aal: 3, maxAge: 300 }) }, async () => ({ ok: true }))
      app.get('/aal2-fresh', { preHandler: app.mfa.require({ aal: 2, maxAge: 300 }) }, async () => ({ ok: true }))
    }
  })
  app.mfa.factors.register({ id: 'totp', amr: 'otp', kind: 'code', isEnrolled: async () => true, enrolledUserIds: async () => ['u1'], verifyCode: async () => ({ ok: false, reason: 'invalid' }), remove: async () => {} })
  app.mfa.factors.register({ id: 'webauthn', amr: 'hwk', kind: 'ceremony', phishingResistant: true, isEnrolled: async () => false, enrolledUserIds: async () => [], challenge: async () => ({}), verifyResponse: async () => ({ ok: false, reason: 'invalid' }), remove: async () => {} })
  return { app, clock, user: agent(app) }
}

t.test('no session: request.mfa is empty and guards answer 401', async (t) => {
  const { user } = await setup(t)
  const session = (await user.inject({ url: '/session' })).json()
  t.match(session, { userId: null, aal: 0, amr: [], pending: null, fresh: false })
  const res = await user.inject({ url: '/aal2' })
  t.equal(res.statusCode, 401)
  t.same(res.json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED', error: 'Unauthorized', message: 'Sign in first' })
})

t.test('a pending login is not signed in', async (t) => {
  const { user, clock } = await setup(t)
  await user.signIn({ userId: undefined, aal: 0, amr: [], pending: { id: 'p', expiresAt: nowSec(clock) + 300, methods: ['totp'] } })
  t.match((await user.inject({ url: '/session' })).json(), { userId: null, pending: { methods: ['totp'] } })
  t.equal((await user.inject({ url: '/aal1' })).statusCode, 401)
})

t.test('password only: 403 FST_MFA_REQUIRED listing the methods', async (t) => {
  const { user, clock } = await setup(t)
  await user.signIn({ userId: 'u1', aal: 1, amr: ['pwd'], authTime: nowSec(clock) })
  t.equal((await user.inject({ url: '/aal1' })).statusCode, 200)
  const res = await user.inject({ url: '/aal2' })
  t.equal(res.statusCode, 403)
  t.match(res.json(), { code: 'FST_MFA_REQUIRED', methods: ['totp', 'webauthn'] })
})

t.test('freshness and methods: config.mfa asks for a recent WebAuthn check', async (t) => {
  const { user, clock } = await setup(t)
  await user.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(clock), mfaTime: nowSec(clock), mfaMethod: 'totp' })
  t.equal((await user.inject({ url: '/aal2' })).statusCode, 200)
  const wrongMethod = await user.inject({ url: '/admin' })
  t.equal(wrongMethod.statusCode, 403)
  t.match(wrongMethod.json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['webauthn'] })
  await user.signIn({ userId: 'u1', aal: 3, amr: ['pwd', 'hwk', 'mfa'], authTime: nowSec(clock), mfaTime: nowSec(clock), mfaMethod: 'webauthn' })
  t.equal((await user.inject({ url: '/admin' })).statusCode, 200)
  clock.advance(301)
  const stale = await user.inject({ url: '/admin' })
  t.equal(stale.statusCode, 403, 'older than maxAge')
  t.equal(stale.json().code, 'FST_MFA_STEP_UP_REQUIRED')
  t.equal((await user.inject({ url: '/aal2' })).statusCode, 200, 'aal still holds without maxAge')
})

t.test('a remembered device is never fresh', async (t) => {
  const { user, clock } = await setup(t)
  await user.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'rmd'], authTime: nowSec(clock) })
  const res = (await user.inject({ url: '/session' })).json()
  t.equal(res.fresh, false)
})

t.test('enroll-only sessions pass only guards that allow them', async (t) => {
  const { user, clock } = await setup(t)
  await user.signIn({ userId: 'u1', aal: 1, amr: ['pwd'], authTime: nowSec(clock), enrollOnly: true })
  const res = await user.inject({ url: '/aal1' })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
})

t.test('require() validates its options', async (t) => {
  const { app } = await setup(t)
  t.throws(() => app.mfa.require({ aal: 4 as 2 }), /aal/)
  t.throws(() => app.mfa.require({ maxAge: -1 }), /maxAge/)
})

t.test('regression: freshness is per level — a TOTP check does not refresh an old WebAuthn (aal 3) check', async (t) => {
  const { user, clock } = await setup(t)
  const now = nowSec(clock)
  await user.signIn({ userId: 'u1', aal: 3, amr: ['pwd', 'hwk', 'otp', 'mfa'], authTime: now - 3600, checks: { webauthn: { at: now - 3600, aal: 3 }, totp: { at: now, aal: 2 } } })
  const res = await user.inject({ url: '/aal3-fresh' })
  t.equal(res.statusCode, 403, 'the session is aal 3, but its level-3 check is an hour old')
  t.match(res.json(), { code: 'FST_MFA_STEP_UP_REQUIRED' })
  t.equal((await user.inject({ url: '/aal2-fresh' })).statusCode, 200, 'the TOTP check is fresh for level 2')
  await user.signIn({ userId: 'u1', aal: 3, amr: ['pwd', 'hwk', 'mfa'], authTime: now, checks: { webauthn: { at: now, aal: 3 } } })
  t.equal((await user.inject({ url: '/aal3-fresh' })).statusCode, 200, 'a fresh level-3 check')
})

t.test('methods: a check by one of them counts even when a later check used another method', async (t) => {
  const { user, clock } = await setup(t)
  const now = nowSec(clock)
  await user.signIn({ userId: 'u1', aal: 3, amr: ['pwd', 'hwk', 'otp', 'mfa'], authTime: now, checks: { webauthn: { at: now - 10, aal: 3 }, totp: { at: now, aal: 2 } } })
  t.equal((await user.inject({ url: '/admin' })).statusCode, 200)
})

t.test('regression: config.mfa guards routes declared before core, at the root and in encapsulated plugins', async (t) => {
  const Fastify = (await import('fastify')).default
  const cookie = (await import('@fastify/cookie')).default
  const session = (await import('@fastify/session')).default
  const app = Fastify()
  app.get('/early-root', { config: { mfa: { aal: 2 } } }, async () => ({ open: true }))
  await app.register(async (child) => { child.get('/early-child', { config: { mfa: { aal: 1 } } }, async () => ({ open: true })) })
  await app.register(cookie)
  await app.register(session, { secret: 'x'.repeat(32), cookie: { secure: false } })
  await app.register(mfaCore, { store: 'memory', encryptionKeys: [{ id: 'k', key: Buffer.alloc(32, 1) }] })
  app.get('/late', { config: { mfa: { aal: 2 } } }, async () => ({ open: true }))
  await app.ready()
  t.teardown(() => app.close())
  for (const url of ['/early-root', '/early-child', '/late']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 401, `${url} is guarded`)
    t.equal(res.json().code, 'FST_MFA_UNAUTHENTICATED')
  }
})

t.test('a bad config.mfa on a route declared after core fails the start', async (t) => {
  const clock = fakeClock()
  await t.rejects(buildTestApp(t, {
    core: mfaCore,
    store: 'memory',
    clock,
    routes: (app) => { app.get('/bad', { config: { mfa: { aal: 5 as 2 } } }, async () => ({})) }
  }), /aal/)
})
