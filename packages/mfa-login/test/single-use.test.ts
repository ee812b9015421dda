import t from 'tap'
import { eachStore, freshStore, until } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

// A pending login completes once: its spending is one counted delete, decided by the database.
await eachStore(t, async (t, _store, kind) => {
  async function twoInstances (t: Parameters<typeof buildLoginApp>[0]) {
    const db = await freshStore(t, kind)
    const store = db === 'memory' ? createMemoryStore() : createMongoStore(db)
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')]])
    // Right codes wait in the factor until released, so every verify is past its check before one spends the login.
    const totp = fakeCodeFactor('totp', new Set(['alice']), {}, (code) => code === 'ok-alice')
    const make = async () => await buildLoginApp(t, { users, clock, store, factors: [totp.factor], login: { rateLimit: false, passwordBrake: false } })
    return { a: await make(), b: await make(), totp }
  }

  t.test('of concurrent right codes for one pending login on two instances, exactly one signs in', async (t) => {
    const { a, b, totp } = await twoInstances(t)
    const started = await agent(a).inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: PASSWORD } })
    const { mfaToken } = started.json()
    const verify = (app: typeof a) => app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    const racing = [verify(a), verify(b), verify(a), verify(b)]
    await until(() => totp.calls.length === 4)
    totp.release()
    const answers = await Promise.all(racing)
    t.equal(answers.filter((r) => r.statusCode === 200).length, 1, 'one completes')
    t.same(answers.filter((r) => r.statusCode !== 200).map((r) => r.json().code), ['FST_MFA_LOGIN_EXPIRED', 'FST_MFA_LOGIN_EXPIRED', 'FST_MFA_LOGIN_EXPIRED'])
    t.equal((await verify(b)).json().code, 'FST_MFA_LOGIN_EXPIRED', 'and it stays spent')
  })
})
