import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

type Agent = ReturnType<typeof agent>
const login = (a: Agent, email: string, password = PASSWORD) => a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password } })
const verify = (a: Agent, code: string) => a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code } })

await eachStore(t, async (t, _store, kind) => {
  /** Two app instances on one database (memory: one shared store object). */
  async function twoInstances (t: Parameters<typeof buildLoginApp>[0]) {
    const db = await freshStore(t, kind)
    const store = db === 'memory' ? createMemoryStore() : createMongoStore(db)
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')]])
    const make = async () => await buildLoginApp(t, { users, clock, store, factors: [fakeCodeFactor('totp', new Set(['alice'])).factor], login: { rateLimit: false } })
    return { a: await make(), b: await make(), clock }
  }

  t.test('lockout after 5 wrong codes holds on the other instance, with Retry-After', async (t) => {
    const { a, b, clock } = await twoInstances(t)
    const onA = agent(a)
    await login(onA, 'alice@example.com')
    for (let i = 0; i < 4; i++) t.equal((await verify(onA, 'wrong')).json().code, 'FST_MFA_INVALID_CODE')
    const locking = await verify(onA, 'wrong')
    t.equal(locking.statusCode, 423)
    t.match(locking.json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 })
    t.equal(locking.headers['retry-after'], '60')

    const onB = agent(b)
    t.match((await login(onB, 'alice@example.com')).json(), { step: 'mfa' }, 'the password step still works')
    const refused = await verify(onB, 'ok-alice')
    t.equal(refused.statusCode, 423, 'a correct code is refused while locked, on the other instance too')
    clock.advance(61)
    t.match((await verify(onB, 'ok-alice')).json(), { step: 'complete' }, 'the lock ends')
  })

  t.test('lock times grow and a success resets them', async (t) => {
    const { a, clock } = await twoInstances(t)
    const locks: number[] = []
    for (let round = 0; round < 3; round++) {
      const u = agent(a)
      await login(u, 'alice@example.com')
      let res
      do res = await verify(u, 'wrong'); while (res.statusCode === 401)
      locks.push(res.json().retryAfter)
      clock.advance(res.json().retryAfter + 1)
    }
    t.same(locks, [60, 300, 900])
    const u = agent(a)
    await login(u, 'alice@example.com')
    t.match((await verify(u, 'ok-alice')).json(), { step: 'complete' })
    const again = agent(a)
    await login(again, 'alice@example.com')
    for (let i = 0; i < 4; i++) await verify(again, 'wrong')
    t.equal((await verify(again, 'wrong')).json().retryAfter, 60, 'back to the first lock time')
  })

  t.test('wrong passwords never lock an account', async (t) => {
    const { a } = await twoInstances(t)
    const u = agent(a)
    for (let i = 0; i < 12; i++) t.equal((await login(u, 'alice@example.com', 'bad password')).statusCode, 401)
    t.match((await login(u, 'alice@example.com')).json(), { step: 'mfa' })
    t.match((await verify(u, 'ok-alice')).json(), { step: 'complete' })
  })
})
