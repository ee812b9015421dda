import t, { type Test } from 'tap'
import { eachStore, freshStore, until } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

type Agent = ReturnType<typeof agent>
const login = (a: Agent, email: string, password = PASSWORD) => a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password } })
const verify = (a: Agent, code: string) => a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code } })

await eachStore(t, async (t, _store, kind) => {
  /**
   * App instances on one database (memory: one shared store object): `make(login)` starts one with
   * those mfa-login options. `hold` picks the codes whose checks wait in the factor until `totp.release()`.
   */
  async function sharedStore (t: Parameters<typeof buildLoginApp>[0], hold?: (code: string) => boolean) {
    const db = await freshStore(t, kind)
    const store = db === 'memory' ? createMemoryStore() : createMongoStore(db)
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')]])
    const totp = fakeCodeFactor('totp', new Set(['alice']), {}, hold)
    const make = async (login: object = {}) => await buildLoginApp(t, { users, clock, store, factors: [totp.factor], login: { rateLimit: false, ...login } })
    return { make, clock, totp, store }
  }

  async function twoInstances (t: Parameters<typeof buildLoginApp>[0], hold?: (code: string) => boolean) {
    const shared = await sharedStore(t, hold)
    return { ...shared, a: await shared.make(), b: await shared.make() }
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
    const passwordStep = await login(onB, 'alice@example.com')
    t.equal(passwordStep.statusCode, 423, 'the right password is refused while locked, on the other instance too')
    t.match(passwordStep.json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 })
    t.equal((await login(onB, 'alice@example.com', 'bad password')).statusCode, 401, 'a wrong password does not learn of the lock')
    clock.advance(61)
    t.match((await login(onB, 'alice@example.com')).json(), { step: 'mfa' }, 'the lock ends')
    t.match((await verify(onB, 'ok-alice')).json(), { step: 'complete' })
  })

  t.test('a pending login opened before the lock cannot finish during it', async (t) => {
    const { a, clock } = await twoInstances(t)
    const early = agent(a)
    await login(early, 'alice@example.com')
    await lockAlice(t, a)
    t.equal((await verify(early, 'ok-alice')).statusCode, 423, 'a correct code is refused while locked')
    clock.advance(61)
    t.match((await verify(early, 'ok-alice')).json(), { step: 'complete' }, 'the lock ends')
  })

  t.test('a pending login begun before the owner\'s last sign-in checks nothing during a lock either', async (t) => {
    const { a, b, clock, totp } = await twoInstances(t)
    const early = agent(a)
    await login(early, 'alice@example.com') // its password step read the lockout before the owner signed in
    const owner = agent(b)
    await login(owner, 'alice@example.com')
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' }, 'the owner signs in: a new run of checks')
    await lockAlice(t, b)
    const checked = totp.calls.length
    const during = await verify(early, 'ok-alice')
    t.match(during.json(), { code: 'FST_MFA_LOCKED' }, 'even the right code, on the older login, is refused while locked')
    t.equal(totp.calls.length, checked, 'and not checked')
    clock.advance(61)
    t.match((await verify(early, 'ok-alice')).json(), { step: 'complete' }, 'after the lock it finishes')
  })

  t.test('a pending login begun before a run of checks ended in a success checks in the new run', async (t) => {
    const { a, b } = await twoInstances(t)
    const early = agent(a)
    await login(early, 'alice@example.com') // it read the run of checks the next five fill
    const other = agent(b)
    await login(other, 'alice@example.com')
    for (let i = 0; i < 4; i++) t.equal((await verify(other, 'wrong')).statusCode, 401)
    const owner = agent(b)
    await login(owner, 'alice@example.com')
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' }, 'the fifth check of the run succeeds: a new run begins')
    t.match((await verify(early, 'wrong')).json(), { code: 'FST_MFA_INVALID_CODE' }, 'the older login is checked in the new run, not refused for the full old one')
    t.match((await verify(early, 'ok-alice')).json(), { step: 'complete' })
  })

  t.test('wrong codes stay on record for hours; the slot of a success goes within the hour', async (t) => {
    const { make, clock, store } = await sharedStore(t)
    const app = await make()
    const slots = store.collection<{ _id: string, failed?: true, expiresAt: Date }>('mfa_login_slots')
    const owner = agent(app)
    await login(owner, 'alice@example.com')
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' })
    const [passed] = (await slots.find({})).filter((d) => d._id.startsWith('l:'))
    t.ok(passed!.expiresAt.getTime() <= clock.now() + 3_600_000, 'the success\'s slot expires within the hour')
    const guesser = agent(app)
    await login(guesser, 'alice@example.com')
    for (let i = 0; i < 4; i++) t.equal((await verify(guesser, 'wrong')).statusCode, 401)
    clock.advance(3 * 3600)
    // Past the hour: expired documents are swept (the memory store has no TTL index) after the next events.
    const later = agent(app)
    await login(later, 'alice@example.com')
    if (kind === 'memory') {
      await until(async () => (await slots.find({ _id: passed!._id })).length === 0)
      t.equal((await slots.find({ _id: passed!._id })).length, 0, 'the success\'s slot is gone')
    }
    t.equal((await slots.find({ failed: true })).length, 4, 'the four wrong codes are still on record')
    t.equal((await verify(later, 'wrong')).statusCode, 423, 'and the fifth, hours later, locks the account')
  })

  t.test('a remembered device does not get around the lock', async (t) => {
    const { a, clock } = await twoInstances(t)
    await lockAlice(t, a)
    // A stand-in for @fastify-mfa/remember-device that remembers every browser of alice.
    a.mfa.devices = { check: async (_r, userId) => userId === 'alice', remember: async () => {}, revokeAll: async () => 0 }
    t.equal((await login(agent(a), 'alice@example.com')).statusCode, 423)
    clock.advance(61)
    t.match((await login(agent(a), 'alice@example.com')).json(), { step: 'complete', aal: 2 }, 'the lock ends')
  })

  t.test('with five checks in flight on other logins, a sixth is refused unchecked, even a right code', async (t) => {
    const { a, b, clock, totp } = await twoInstances(t, (code) => code.startsWith('wrong'))
    const owner = agent(b)
    await login(owner, 'alice@example.com')
    const inFlight = []
    for (let i = 0; i < 5; i++) {
      const attacker = agent(i % 2 ? a : b)
      await login(attacker, 'alice@example.com')
      inFlight.push(verify(attacker, `wrong-${i}`))
      await until(() => totp.calls.length === i + 1)
    }
    t.equal(totp.calls.length, 5, 'five wrong codes are being checked')
    const refused = await verify(owner, 'ok-alice')
    t.match(refused.json(), { code: 'FST_MFA_LOCKED', retryAfter: 1 })
    t.equal(totp.calls.length, 5, 'the right code was not checked')
    totp.release()
    t.same((await Promise.all(inFlight)).map((r) => r.statusCode).sort(), [401, 401, 401, 401, 423], 'the fifth failure locks')
    clock.advance(61)
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' }, 'after the lock the owner\'s login finishes (the refused check used none of its attempts)')
  })

  t.test('twenty guesses raced on four logins and two instances: the lock comes after exactly five checked codes', async (t) => {
    const { a, b, totp } = await twoInstances(t, (code) => code.startsWith('wrong'))
    const browsers = [agent(a), agent(a), agent(b), agent(b)]
    for (const browser of browsers) t.match((await login(browser, 'alice@example.com')).json(), { step: 'mfa' })
    let settled = 0
    const guesses = browsers.flatMap((browser, i) => Array.from({ length: 5 }, async (_, j) => {
      const res = await verify(browser, `wrong-${i}-${j}`)
      settled++
      return res
    }))
    await until(() => settled + totp.calls.length === 20)
    const checkedAtOnce = totp.calls.length
    t.ok(checkedAtOnce >= 1 && checkedAtOnce <= 5, `at most five guesses reach the factor at once (${checkedAtOnce})`)
    totp.release()
    const statuses = (await Promise.all(guesses)).map((r) => r.statusCode)
    t.ok(statuses.every((s) => s === 401 || s === 423), 'each guess is refused')
    // Go on guessing one at a time until the account locks.
    for (let i = 0; i < 10 && totp.calls.length < 10; i++) {
      const next = agent(a)
      if ((await login(next, 'alice@example.com')).statusCode === 423) break
      if ((await verify(next, 'wrong')).statusCode === 423) break
    }
    t.equal(totp.calls.length, 5, 'five checked wrong codes in all, however they raced')
    t.match((await login(agent(b), 'alice@example.com')).json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 }, 'locked once, at the first lock time')
  })

  t.test('a lower threshold than the failures on record locks the account at the next check', async (t) => {
    const { make, clock } = await sharedStore(t)
    const before = agent(await make({ lockout: { threshold: 5 } }))
    await login(before, 'alice@example.com')
    for (let i = 0; i < 4; i++) t.equal((await verify(before, 'wrong')).statusCode, 401)
    const after = agent(await make({ lockout: { threshold: 3 } })) // redeployed with a lower threshold: 4 failures on record
    await login(after, 'alice@example.com')
    t.match((await verify(after, 'ok-alice')).json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 }, 'the failures on record reach the new threshold: locked')
    clock.advance(61)
    t.match((await verify(after, 'ok-alice')).json(), { step: 'complete' }, 'the lock ends')
  })

  t.test('a check that never answered (its process died) holds its place only as long as a check takes', async (t) => {
    const { make, clock, totp } = await sharedStore(t, (code) => code === 'hang')
    const app = await make({ lockout: { threshold: 1 } })
    const crashed = agent(app)
    await login(crashed, 'alice@example.com')
    const hung = verify(crashed, 'hang')
    await until(() => totp.calls.length === 1)
    const owner = agent(app)
    await login(owner, 'alice@example.com')
    t.match((await verify(owner, 'ok-alice')).json(), { code: 'FST_MFA_LOCKED', retryAfter: 1 }, 'a check in flight holds the only place')
    clock.advance(61)
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' }, 'a minute later the place is taken over')
    totp.release()
    await hung
  })

  t.test('a right code gives its attempt back: many good logins never lock', async (t) => {
    const { a } = await twoInstances(t)
    for (let i = 0; i < 8; i++) {
      const u = agent(a)
      await login(u, 'alice@example.com')
      t.match((await verify(u, 'ok-alice')).json(), { step: 'complete' })
    }
  })

  t.test('a check that fails with an error gives its attempt back', async (t) => {
    const totp = fakeCodeFactor('totp', new Set(['alice']), {
      verifyCode: async (userId, code) => {
        if (code === 'boom') throw new Error('store unavailable')
        return code === `ok-${userId}` ? { ok: true, userId, amr: ['otp'], aal: 2 } : { ok: false, reason: 'invalid' }
      }
    })
    const app = await buildLoginApp(t, { users: new Map([['alice', user('alice')]]), clock: fakeClock(), store: await freshStore(t, kind), factors: [totp.factor], login: { rateLimit: false } })
    for (let i = 0; i < 6; i++) {
      const u = agent(app)
      await login(u, 'alice@example.com')
      t.equal((await verify(u, 'boom')).statusCode, 500)
      if (i === 5) t.match((await verify(u, 'ok-alice')).json(), { step: 'complete' }, 'six errors later the account is neither locked nor out of attempts')
    }
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

  /** Locks alice with five wrong codes at the second step of a new login. */
  async function lockAlice (t: Test, app: Awaited<ReturnType<typeof buildLoginApp>>) {
    const u = agent(app)
    await login(u, 'alice@example.com')
    let res
    do res = await verify(u, 'wrong'); while (res.statusCode === 401)
    t.equal(res.statusCode, 423, 'alice is locked')
  }

  t.test('a locked account cannot step up, even with the right code', async (t) => {
    const { a, clock } = await twoInstances(t)
    const signedIn = agent(a)
    await login(signedIn, 'alice@example.com')
    t.match((await verify(signedIn, 'ok-alice')).json(), { step: 'complete' })
    await lockAlice(t, a)
    const stepUp = () => signedIn.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method: 'totp', code: 'ok-alice' } })
    const refused = await stepUp()
    t.equal(refused.statusCode, 423)
    t.match(refused.json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 })
    clock.advance(61)
    t.equal((await stepUp()).statusCode, 200, 'the lock ends')
  })

  t.test('a locked account cannot sign in with a passkey either', async (t) => {
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')]])
    const passkey = fakeCodeFactor('webauthn', new Set(['alice']), {
      kind: 'ceremony',
      phishingResistant: true,
      challenge: async () => ({ challenge: 'c' }),
      verifyResponse: async () => ({ ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 3 })
    })
    const app = await buildLoginApp(t, {
      users,
      clock,
      store: await freshStore(t, kind),
      login: { rateLimit: false },
      factors: [fakeCodeFactor('totp', new Set(['alice'])).factor, passkey.factor]
    })
    await lockAlice(t, app)
    const u = agent(app)
    const signIn = () => u.inject({ method: 'POST', url: '/auth/passkey/verify', payload: { response: { id: 'x' } } })
    const refused = await signIn()
    t.equal(refused.statusCode, 423)
    t.match(refused.json(), { code: 'FST_MFA_LOCKED' })
    t.equal((await u.inject({ url: '/protected' })).statusCode, 401, 'no session')
    clock.advance(61)
    t.match((await signIn()).json(), { step: 'complete', aal: 3 }, 'the lock ends')
  })

  t.test('wrong passwords never lock the second factor, and the brake keeps a known browser in', async (t) => {
    const { a, b } = await twoInstances(t)
    const owner = agent(a)
    await login(owner, 'alice@example.com')
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' }, 'the owner\'s browser signs in once: it is known from now on')
    await owner.inject({ method: 'POST', url: '/auth/logout' })
    const stranger = agent(b)
    for (let i = 0; i < 10; i++) t.equal((await login(stranger, 'alice@example.com', 'bad password')).statusCode, 401)
    t.equal((await login(stranger, 'alice@example.com', 'bad password')).statusCode, 429, 'past the threshold, on either instance')
    t.match((await login(owner, 'alice@example.com')).json(), { step: 'mfa' }, 'the known browser is counted apart')
    t.match((await verify(owner, 'ok-alice')).json(), { step: 'complete' })
  })
})
