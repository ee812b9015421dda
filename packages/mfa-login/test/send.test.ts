import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import type { CodeContext, FactorResult, MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

/** A sent-code factor for tests: `send` records one code per login or step-up; a code works only there, once. */
function fakeSentFactor (enrolled: Set<string>) {
  const outbox: Array<{ userId: string, code: string, ctx: CodeContext }> = []
  const live = new Map<string, string>()
  const key = (userId: string, ctx: CodeContext) => `${userId}:${ctx.purpose}:${ctx.binding}`
  const factor: MfaFactor = {
    id: 'email-otp',
    amr: 'otp',
    kind: 'code',
    isEnrolled: async (userId) => enrolled.has(userId),
    enrolledUserIds: async () => [...enrolled],
    async send (userId, ctx) {
      const code = String(100000 + outbox.length)
      live.set(key(userId, ctx), code)
      outbox.push({ userId, code, ctx: { purpose: ctx.purpose, binding: ctx.binding } })
      return { sentTo: 'a•••@example.com', expiresAt: new Date(Date.UTC(2030, 0, 1, 0, 10)), resendAfter: new Date(Date.UTC(2030, 0, 1, 0, 0, 30)) }
    },
    async verifyCode (userId, code, _request, ctx): Promise<FactorResult> {
      if (!ctx || live.get(key(userId, ctx)) !== code) return { ok: false, reason: 'invalid' }
      live.delete(key(userId, ctx))
      return { ok: true, userId, amr: ['otp'], aal: 2 }
    },
    remove: async (userId) => { enrolled.delete(userId) }
  }
  return { factor, outbox }
}

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0], login: object = {}) {
    const mail = fakeSentFactor(new Set(['alice', 'admin']))
    const totp = fakeCodeFactor('totp', new Set(['alice', 'admin']))
    const key = fakeCodeFactor('webauthn', new Set(['admin']), { phishingResistant: true })
    const app = await buildLoginApp(t, {
      users: new Map([['alice', user('alice')], ['admin', user('admin', { roles: ['admin'] })]]),
      clock: fakeClock(),
      store: await freshStore(t, kind),
      factors: [mail.factor, totp.factor, key.factor],
      login: { rateLimit: false, roles: { admin: { methods: ['webauthn'] } }, ...login }
    })
    const begin = async (email: string) => {
      const a = agent(app)
      const step = (await a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password: PASSWORD } })).json()
      return { a, step }
    }
    return { app, outbox: mail.outbox, begin }
  }

  t.test('a sent code signs in: POST /auth/login/send, then POST /auth/login/verify', async (t) => {
    const { outbox, begin } = await setup(t)
    const { a, step } = await begin('alice@example.com')
    t.match(step, { step: 'mfa', methods: ['email-otp', 'totp'] })
    const sent = await a.inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'email-otp' } })
    t.equal(sent.statusCode, 200)
    t.same(sent.json(), { sentTo: 'a•••@example.com', expiresAt: '2030-01-01T00:10:00.000Z', resendAfter: '2030-01-01T00:00:30.000Z' })
    t.match(outbox[0], { userId: 'alice', ctx: { purpose: 'login' } })
    const done = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'email-otp', code: outbox[0]!.code } })
    t.match(done.json(), { step: 'complete', aal: 2 })
  })

  t.test('a code works only for the login it was sent for; a wrong one counts as an attempt', async (t) => {
    const { outbox, begin } = await setup(t)
    const first = await begin('alice@example.com')
    await first.a.inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'email-otp' } })
    const second = await begin('alice@example.com')
    const other = await second.a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'email-otp', code: outbox[0]!.code } })
    t.match(other.json(), { code: 'FST_MFA_INVALID_CODE', attemptsLeft: 4 }, 'the first login\'s code does not open the second')
    const token = await second.a.inject({ method: 'POST', url: '/auth/login/send', payload: { mfaToken: second.step.mfaToken, method: 'email-otp' } })
    t.equal(token.statusCode, 200, 'clients without cookies name the login with mfaToken')
  })

  t.test('only a method the login offers, or the policy allows at step-up, can be sent', async (t) => {
    const { app, begin } = await setup(t)
    const { a } = await begin('admin@example.com')
    const refused = await a.inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'email-otp' } })
    t.equal(refused.statusCode, 403)
    t.match(refused.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['webauthn'] })
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'totp' } })).statusCode, 403, 'a code factor that sends nothing')
    t.equal((await agent(app).inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'email-otp' } })).json().code, 'FST_MFA_LOGIN_EXPIRED', 'no pending login')
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/send', payload: { method: 'email-otp', extra: 1 } })).statusCode, 400)
  })

  t.test('step-up with a sent code: POST /auth/step-up/send, then /auth/step-up/verify', async (t) => {
    const { app, outbox, begin } = await setup(t)
    const { a } = await begin('alice@example.com')
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.equal((await a.inject({ method: 'POST', url: '/auth/step-up/send', payload: { method: 'email-otp' } })).statusCode, 200)
    t.match(outbox.at(-1), { ctx: { purpose: 'step-up' } })
    const ok = await a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'email-otp', code: outbox.at(-1)!.code } })
    t.equal(ok.statusCode, 200)
    t.equal((await agent(app).inject({ method: 'POST', url: '/auth/step-up/send', payload: { method: 'email-otp' } })).statusCode, 401, 'step-up needs a session')
  })
})
