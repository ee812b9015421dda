import t from 'tap'
import type { FactorResult, MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { errors as coreErrors } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

/** A prompt factor for tests: `decide(requestId, result)` settles a request; `spends` counts spends. */
function fakePromptFactor (enrolled: Set<string>) {
  const decisions = new Map<string, FactorResult>()
  let n = 0
  const factor: MfaFactor = {
    id: 'device-approval',
    amr: 'mca',
    kind: 'prompt',
    companion: true,
    isEnrolled: async (userId) => enrolled.has(userId),
    enrolledUserIds: async () => [...enrolled],
    async start (userId, ctx) {
      if (ctx.purpose === 'step-up' && !enrolled.has(`${userId}:other`)) throw new coreErrors.FST_MFA_NOT_ENROLLED()
      return { requestId: `request-${++n}-0123456789`, number: 42, expiresAt: new Date(Date.UTC(2030, 0, 1, 0, 2)) }
    },
    waitForDecision: async (_userId, requestId) => decisions.has(requestId) ? 'decided' : 'pending',
    async decision (_userId, requestId) {
      const result = decisions.get(requestId)
      if (!result) return 'pending'
      decisions.set(requestId, { ok: false, reason: 'expired' })
      return result
    },
    remove: async () => {}
  }
  return { factor, decide: (id: string, result: FactorResult) => { decisions.set(id, result) } }
}

async function setup (t: Parameters<typeof buildLoginApp>[0], withPrompt = true) {
  const prompt = fakePromptFactor(new Set(['alice']))
  const totp = fakeCodeFactor('totp', new Set(['alice', 'admin']))
  const app = await buildLoginApp(t, {
    users: new Map([['alice', user('alice')], ['admin', user('admin', { roles: ['admin'] })], ['carol', user('carol')]]),
    clock: fakeClock(),
    factors: withPrompt ? [totp.factor, prompt.factor] : [totp.factor],
    login: { rateLimit: false, roles: { admin: { methods: ['totp'] } } }
  })
  const begin = async (email: string) => {
    const a = agent(app)
    const step = (await a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password: PASSWORD } })).json()
    return { a, step }
  }
  const post = async (a: ReturnType<typeof agent>, url: string, payload?: object) => await a.inject({ method: 'POST', url, ...(payload ? { payload } : {}) })
  return { app, begin, post, decide: prompt.decide }
}

t.test('start, 202 while undecided, then complete; a denial is 401 and counts no lockout failure', async (t) => {
  const { begin, post, decide } = await setup(t)
  const { a, step } = await begin('alice@example.com')
  t.match(step, { step: 'mfa', methods: ['totp', 'device-approval'] })
  const started = await post(a, '/auth/login/approval/start', {})
  t.same(started.json(), { requestId: 'request-1-0123456789', number: 42, expiresAt: '2030-01-01T00:02:00.000Z' })
  t.same((await post(a, '/auth/login/approval/verify', { requestId: 'request-1-0123456789' })).json(), { status: 'pending' })
  decide('request-1-0123456789', { ok: false, reason: 'denied' })
  t.match((await post(a, '/auth/login/approval/verify', { requestId: 'request-1-0123456789' })).json(), { statusCode: 401, code: 'FST_MFA_APPROVAL_DENIED' })
  t.match((await post(a, '/auth/login/approval/verify', { requestId: 'request-1-0123456789' })).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' })
  decide('request-2-0123456789', { ok: true, userId: 'alice', amr: ['mca'], aal: 2 })
  await post(a, '/auth/login/approval/start')
  const done = await post(a, '/auth/login/approval/verify', { requestId: 'request-2-0123456789', mfaToken: step.mfaToken, rememberDevice: false })
  t.same(done.json(), { step: 'complete', aal: 2 })
  t.match((await a.inject({ url: '/auth/session' })).json(), { aal: 2, amr: ['pwd', 'mca', 'mfa'], mfaMethod: 'device-approval' })
})

t.test('only where the login offers it; a wrong approval for another user counts as a wrong factor', async (t) => {
  const { app, begin, post, decide } = await setup(t)
  const admin = await begin('admin@example.com')
  t.match((await post(admin.a, '/auth/login/approval/start')).json(), { statusCode: 403, code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['totp'] })
  t.match((await post(admin.a, '/auth/login/approval/verify', { requestId: 'request-9-0123456789' })).json(), { statusCode: 403 })
  t.match((await post(agent(app), '/auth/login/approval/start')).json(), { code: 'FST_MFA_LOGIN_EXPIRED' }, 'no pending login')
  const { a } = await begin('alice@example.com')
  decide('request-1-0123456789', { ok: true, userId: 'mallory', amr: ['mca'], aal: 2 })
  await post(a, '/auth/login/approval/start')
  t.match((await post(a, '/auth/login/approval/verify', { requestId: 'request-1-0123456789' })).json(), { statusCode: 401, code: 'FST_MFA_INVALID_CODE' })
  t.equal((await post(a, '/auth/login/approval/verify', { requestId: 'bad id!' })).statusCode, 400)
})

t.test('step-up: refused when nobody else can approve, and only for a method the policy allows', async (t) => {
  const { app, begin, post, decide } = await setup(t)
  const { a } = await begin('alice@example.com')
  await post(a, '/auth/login/verify', { method: 'totp', code: 'ok-alice' })
  t.match((await post(a, '/auth/step-up/approval/start')).json(), { statusCode: 403, code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['totp'] })
  t.equal((await post(agent(app), '/auth/step-up/approval/start')).statusCode, 401, 'signed in only')
  decide('request-1-0123456789', { ok: true, userId: 'alice', amr: ['mca'], aal: 2 })
  t.equal((await post(a, '/auth/step-up/approval/verify', { requestId: 'request-1-0123456789' })).statusCode, 200)
  t.equal((await post(a, '/auth/step-up/approval/verify', { requestId: 'request-2-0123456789' })).statusCode, 202)
})

t.test('without a prompt factor the routes answer 403', async (t) => {
  const { begin, post } = await setup(t, false)
  const { a } = await begin('alice@example.com')
  t.match((await post(a, '/auth/login/approval/start')).json(), { statusCode: 403, code: 'FST_MFA_METHOD_NOT_ALLOWED' })
})
