import t from 'tap'
import { eachStore, freshStore, until } from '@fastify-mfa/testing'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

const login = (a: ReturnType<typeof agent>, email: string, password = PASSWORD, headers = {}) =>
  a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password }, headers })

await eachStore(t, async (t, _store, kind) => {
  /** `hold` picks the codes whose checks wait in the factor until `totp.release()`. */
  const setup = async (t: Parameters<typeof buildLoginApp>[0], login: object = {}, hold?: (code: string) => boolean) => {
    const clock = fakeClock()
    const store = await freshStore(t, kind)
    const users = new Map([['alice', user('alice')], ['bob', user('bob')], ['carol', user('carol')]])
    const totp = fakeCodeFactor('totp', new Set(['alice', 'bob']), {}, hold)
    const app = await buildLoginApp(t, { users, clock, store, factors: [totp.factor], login: { rateLimit: false, ...login } })
    return { app, clock, totp, users }
  }

  t.test('unknown user and wrong password are indistinguishable', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    const unknown = await login(a, 'nobody@example.com')
    const wrong = await login(a, 'alice@example.com', 'wrong password')
    t.equal(unknown.statusCode, 401)
    t.same(unknown.json(), wrong.json())
    t.equal(unknown.json().code, 'FST_MFA_INVALID_CREDENTIALS')
  })

  t.test('skipping step two: a pending login reaches neither protected nor factor routes', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    const res = await login(a, 'alice@example.com')
    t.match(res.json(), { step: 'mfa', methods: ['totp'] })
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
    t.equal((await a.inject({ url: '/mfa-manage' })).statusCode, 401)
    t.equal((await a.inject({ url: '/mfa' })).statusCode, 401)
    const session = (await a.inject({ url: '/auth/session' })).json()
    t.equal(session.userId, null)
    t.same(session.pending.methods, ['totp'])
  })

  t.test('a user without MFA signs in at aal 1', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    t.match((await login(a, 'carol@example.com')).json(), { step: 'complete', aal: 1 })
    t.equal((await a.inject({ url: '/protected' })).statusCode, 403)
    t.match((await a.inject({ url: '/auth/session' })).json(), { userId: 'carol', aal: 1, amr: ['pwd'] })
  })

  t.test('a passkey without user verification does not sign in, nor open a second step', async (t) => {
    const clock = fakeClock()
    let userVerified = false
    // As @fastify-mfa/webauthn answers a passkey sign-in: aal 3 with UV, a single factor (aal 1) without.
    const passkey = fakeCodeFactor('webauthn', new Set(['alice']), {
      kind: 'ceremony',
      phishingResistant: true,
      challenge: async () => ({ challenge: 'c' }),
      verifyResponse: async () => userVerified ? { ok: true, userId: 'alice', amr: ['hwk', 'user'], aal: 3 } : { ok: true, userId: 'alice', amr: ['hwk'], aal: 1 }
    })
    const app = await buildLoginApp(t, { users: new Map([['alice', user('alice')]]), clock, store: await freshStore(t, kind), factors: [passkey.factor], login: { rateLimit: false } })
    const events: string[] = []
    app.mfa.on('login.passkey_failed', (e) => { events.push(String(e.details.reason)) })
    const a = agent(app)
    const signIn = () => a.inject({ method: 'POST', url: '/auth/passkey/verify', payload: { response: { id: 'x' } } })
    const refused = await signIn()
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'FST_MFA_USER_VERIFICATION_REQUIRED')
    t.match((await a.inject({ url: '/auth/session' })).json(), { userId: null, pending: null })
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/webauthn/options', payload: {} })).json().code, 'FST_MFA_LOGIN_EXPIRED', 'no pending login the same key could answer')
    t.same(events, ['user_verification_required'])
    userVerified = true
    t.match((await signIn()).json(), { step: 'complete', aal: 3 })
  })

  t.test('session fixation: the session id changes at the password step and at completion', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    await a.inject({ method: 'POST', url: '/auth/passkey/options', payload: {} }).catch(() => {})
    const before = a.jar.get('sessionId')
    await login(a, 'alice@example.com')
    const pendingId = a.jar.get('sessionId')
    t.not(pendingId, before)
    const done = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.match(done.json(), { step: 'complete', aal: 2 })
    t.not(a.jar.get('sessionId'), pendingId)
    const replayed = await app.inject({ url: '/protected', headers: { cookie: `sessionId=${pendingId}` } })
    t.equal(replayed.statusCode, 401, 'the pre-MFA session id grants nothing')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 200)
    t.match((await a.inject({ url: '/auth/session' })).json(), { userId: 'alice', aal: 2, amr: ['pwd', 'otp', 'mfa'], mfaMethod: 'totp' })
  })

  t.test('mfaToken works without cookies, once', async (t) => {
    const { app } = await setup(t)
    const first = await login(agent(app), 'alice@example.com')
    const { mfaToken } = first.json()
    const verify = () => app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal((await verify()).statusCode, 200)
    const replay = await verify()
    t.equal(replay.statusCode, 400)
    t.equal(replay.json().code, 'FST_MFA_LOGIN_EXPIRED', 'replaying an mfaToken fails')
  })

  t.test('an expired mfaToken is refused', async (t) => {
    const { app, clock } = await setup(t)
    const { mfaToken } = (await login(agent(app), 'alice@example.com')).json()
    clock.advance(301)
    const res = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED')
  })

  t.test('an expired pending login is not looked up: a code sent after expiry is neither checked nor counted', async (t) => {
    const { app, clock, totp } = await setup(t)
    const a = agent(app)
    const { mfaToken } = (await login(a, 'alice@example.com')).json()
    clock.advance(301)
    const res = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'wrong' } })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED')
    t.same(totp.calls, [], 'the factor was never asked')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
  })

  t.test('a pending login that expires while its code is checked does not sign in', async (t) => {
    const { app, clock, totp } = await setup(t, {}, () => true)
    const a = agent(app)
    const { mfaToken } = (await login(a, 'alice@example.com')).json()
    clock.advance(299)
    const pending = a.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    await until(() => totp.calls.length === 1)
    t.equal(totp.calls.length, 1, 'the code is being checked')
    clock.advance(2)
    totp.release()
    const res = await pending
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED', 'expired before it could be spent')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
  })

  t.test('wrong codes count down attemptsLeft; the sixth try finds the login spent', async (t) => {
    const { app } = await setup(t, { lockout: { threshold: 50 } })
    const { mfaToken } = (await login(agent(app), 'alice@example.com')).json()
    const left: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'nope' } })
      t.equal(res.json().code, 'FST_MFA_INVALID_CODE')
      left.push(res.json().attemptsLeft)
    }
    t.same(left, [4, 3, 2, 1, 0])
    const res = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED', 'even the right code fails on a spent login')
  })

  t.test('12 parallel wrong guesses on one pending login: at most 5 evaluated', async (t) => {
    const { app, totp } = await setup(t, { lockout: { threshold: 50 } })
    const { mfaToken } = (await login(agent(app), 'alice@example.com')).json()
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: `guess-${i}` } })))
    t.equal(totp.calls.length, 5, 'only five guesses reached the factor')
    t.equal(results.filter((r) => r.json().code === 'FST_MFA_INVALID_CODE').length, 5)
  })

  t.test('with all 5 attempts taken by guesses in flight, even the right code is refused unevaluated', async (t) => {
    const { app, totp } = await setup(t, { lockout: { threshold: 50 } }, (code) => code !== 'ok-alice')
    const { mfaToken } = (await login(agent(app), 'alice@example.com')).json()
    const verify = (code: string) => app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code } })
    const inFlight = Array.from({ length: 5 }, (_, i) => verify(`guess-${i}`))
    await until(() => totp.calls.length === 5)
    t.equal(totp.calls.length, 5, 'five guesses are being checked')
    const sixth = await verify('ok-alice')
    t.equal(sixth.json().code, 'FST_MFA_LOGIN_EXPIRED', 'no attempt left for a sixth code')
    t.equal(totp.calls.length, 5, 'the sixth code never reached the factor')
    totp.release()
    const results = await Promise.all(inFlight)
    t.same(results.map((r) => r.json().code), Array(5).fill('FST_MFA_INVALID_CODE'))
  })

  t.test('a pending login of user A cannot be finished with user B\'s factor', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    await login(a, 'alice@example.com')
    const res = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-bob' } })
    t.equal(res.json().code, 'FST_MFA_INVALID_CODE')
    t.equal((await a.inject({ url: '/protected' })).statusCode, 401)
  })

  t.test('logout discards the pending login', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    const { mfaToken } = (await login(a, 'alice@example.com')).json()
    t.equal((await a.inject({ method: 'POST', url: '/auth/logout' })).statusCode, 204)
    const res = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal(res.json().code, 'FST_MFA_LOGIN_EXPIRED')
  })

  t.test('an unknown method or bad body is a 400 that changes nothing', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    await login(a, 'alice@example.com')
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'sms', code: '1' } })).json().code, 'FST_MFA_METHOD_NOT_ALLOWED')
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp' } })).statusCode, 400)
    t.equal((await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'x' } })).statusCode, 400)
    const extra = await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice', userId: 'bob' } })
    t.equal(extra.statusCode, 400, 'unknown fields are refused, not dropped')
    t.equal((await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })).statusCode, 200)
  })
})
