import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

type Agent = ReturnType<typeof agent>

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0], withKey: boolean) {
    const clock = fakeClock()
    const totpUsers = new Set(['alice'])
    const totp = fakeCodeFactor('totp', totpUsers)
    const key = fakeCodeFactor('webauthn', new Set(withKey ? ['alice'] : []), { phishingResistant: true })
    const app = await buildLoginApp(t, {
      users: new Map([['alice', user('alice')]]),
      clock,
      store: await freshStore(t, kind),
      factors: [totp.factor, key.factor],
      login: { rateLimit: false, passwordBrake: false, lockout: { threshold: 5, durations: [60], maxConsecutive: 100 } }
    })
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    const login = async (a: Agent) => (await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: PASSWORD } })).json()
    const verify = async (a: Agent, method: string, code: string) => await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method, code } })
    /** 100 wrong codes in a row: 20 locks of 60 s, waited out with the fake clock. */
    const guessHundred = async () => {
      for (let round = 0; round < 20; round++) {
        const a = agent(app)
        await login(a)
        for (let i = 0; i < 5; i++) await verify(a, 'totp', 'wrong')
        clock.advance(61)
      }
    }
    return { app, clock, events, login, verify, guessHundred, totpUsers }
  }

  t.test('NIST SP 800-63B: 100 wrong codes in a row, across locks, stop codes until a phishing-resistant factor succeeds', async (t) => {
    const { app, events, login, verify, guessHundred } = await setup(t, true)
    await guessHundred()
    t.equal(events.filter((e) => e.type === 'mfa.code_refused').length, 100)
    t.equal(events.filter((e) => e.type === 'mfa.codes_blocked').length, 1, 'audited once, in the user\'s events')
    const a = agent(app)
    t.match(await login(a), { step: 'mfa', methods: ['webauthn'] }, 'only the phishing-resistant factor is offered')
    t.equal((await verify(a, 'totp', 'ok-alice')).json().code, 'FST_MFA_METHOD_NOT_ALLOWED', 'not even the right TOTP code')
    t.match((await verify(a, 'webauthn', 'ok-alice')).json(), { step: 'complete' })
    const stepUp = await a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.equal(stepUp.statusCode, 200, 'after the key, codes work again')
  })

  t.test('without a phishing-resistant factor the account needs a support reset', async (t) => {
    const { app, login, verify, guessHundred, totpUsers } = await setup(t, false)
    await guessHundred()
    const a = agent(app)
    const refused = await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: PASSWORD } })
    t.equal(refused.statusCode, 423)
    t.equal(refused.json().code, 'FST_MFA_CODES_BLOCKED')
    await app.mfa.admin.reset('alice', { actor: 'support@example.com', reason: 'locked out after 100 wrong codes' })
    totpUsers.add('alice') // the user enrols again
    t.match(await login(a), { step: 'mfa', methods: ['totp'] })
    t.match((await verify(a, 'totp', 'ok-alice')).json(), { step: 'complete' })
  })

  t.test('fewer than the bound: a success ends the run, and a lock does not start a new count', async (t) => {
    const { app, clock, events, login, verify } = await setup(t, false)
    for (let round = 0; round < 19; round++) {
      const a = agent(app)
      await login(a)
      for (let i = 0; i < 5; i++) await verify(a, 'totp', 'wrong')
      clock.advance(61)
    }
    const a = agent(app)
    await login(a)
    for (let i = 0; i < 4; i++) await verify(a, 'totp', 'wrong')
    t.match((await verify(a, 'totp', 'ok-alice')).json(), { step: 'complete' }, '99 in a row, then the right code')
    const b = agent(app)
    await login(b)
    t.equal((await verify(b, 'totp', 'wrong')).statusCode, 401)
    t.equal(events.filter((e) => e.type === 'mfa.codes_blocked').length, 0)
  })

  t.test('a bound that is not a multiple of the threshold blocks codes at the failure that reaches it, not at the next lock', async (t) => {
    const clock = fakeClock()
    const totp = fakeCodeFactor('totp', new Set(['alice']))
    const app = await buildLoginApp(t, {
      users: new Map([['alice', user('alice')]]),
      clock,
      store: await freshStore(t, kind),
      factors: [totp.factor],
      login: { rateLimit: false, passwordBrake: false, lockout: { threshold: 5, durations: [60], maxConsecutive: 7 } }
    })
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    const login = async (a: Agent) => await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: PASSWORD } })
    const verify = async (a: Agent, code: string) => await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code } })
    const first = agent(app)
    await login(first)
    for (let i = 0; i < 5; i++) await verify(first, 'wrong') // the fifth locks
    clock.advance(61)
    const second = agent(app)
    await login(second)
    t.equal((await verify(second, 'wrong')).statusCode, 401, 'the sixth in a row')
    const seventh = await verify(second, 'wrong')
    t.equal(seventh.statusCode, 401, 'the seventh: no lock (two of five), but the bound')
    t.equal(events.filter((e) => e.type === 'mfa.codes_blocked').length, 1)
    const calls = totp.calls.length
    t.equal((await verify(second, 'ok-alice')).json().code, 'FST_MFA_CODES_BLOCKED', 'the open login takes no code any more')
    t.equal(totp.calls.length, calls, 'not checked')
    t.equal((await login(agent(app))).json().code, 'FST_MFA_CODES_BLOCKED', 'nor a new one')
  })

  t.test('account deletion removes the lockout state', async (t) => {
    const totp = fakeCodeFactor('totp', new Set(['alice']))
    const app = await buildLoginApp(t, { users: new Map([['alice', user('alice')]]), clock: fakeClock(), store: await freshStore(t, kind), factors: [totp.factor], login: { rateLimit: false, passwordBrake: false } })
    const a = agent(app)
    await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: PASSWORD } })
    for (let i = 0; i < 5; i++) await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'wrong' } })
    const raw = async (name: string) => await app.mfa.store.collection(`mfa_${name}`).find({ userId: 'alice' })
    t.ok((await raw('login_slots')).length > 0, 'wrong codes on record')
    t.ok(await app.mfa.store.collection('mfa_login_locks').findOne({ _id: 'alice' }), 'locked')
    await app.mfa.forgetUser('alice')
    t.same(await raw('login_slots'), [])
    t.equal(await app.mfa.store.collection('mfa_login_locks').findOne({ _id: 'alice' }), null)
  })
})
