import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import { agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

// A host with its own password check and its own session field, wired as the README says: it
// calls login.begin() after its check and sets its field only in onSignedIn.
await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0]) {
    const totp = fakeCodeFactor('totp', new Set(['alice']))
    const signedIn: string[] = []
    const app = await buildLoginApp(t, {
      users: new Map([['alice', user('alice')], ['bob', user('bob')]]),
      clock: fakeClock(),
      store: await freshStore(t, kind),
      factors: [totp.factor],
      login: {
        rateLimit: false,
        passwordRoute: false,
        lockout: { threshold: 2, durations: [60] },
        onSignedIn: async (request: { session: { set(k: string, v: unknown): void } }, _reply: unknown, { userId }: { userId: string }) => {
          signedIn.push(userId)
          request.session.set('user', userId)
        }
      },
      routes: (app) => {
        // The host's own guard: its session field.
        app.get('/host/account', async (request, reply) => {
          const user = (request.session as unknown as { get(k: string): unknown }).get('user')
          return user ? { user, mfaSignedIn: request.mfa.signedIn } : await reply.code(401).send({ message: 'sign in' })
        })
        // The host's error handler makes its own shape: begin() must keep the suite's anyway.
        app.setErrorHandler(async (err, _request, reply) => await reply.code((err as { statusCode?: number }).statusCode ?? 500).send({ message: (err as Error).message }))
      }
    })
    return { app, signedIn }
  }

  t.test('the password alone never opens a host route; the host\'s sign-in code runs once the second factor is done', async (t) => {
    const { app, signedIn } = await setup(t)
    const a = agent(app)
    t.equal((await a.inject({ method: 'POST', url: '/auth/login', payload: { login: 'alice@example.com', password: 'x' } })).statusCode, 404,
      'passwordRoute: false: no second password route beside the host\'s')
    t.match((await a.inject({ method: 'POST', url: '/my-login', payload: { userId: 'alice' } })).json(), { step: 'mfa' })
    t.equal((await a.inject({ url: '/host/account' })).statusCode, 401, 'a pending login is not signed in to the host')
    t.same(signedIn, [], 'onSignedIn has not run')
    t.equal((await a.inject({ url: '/auth/session' })).json().signedIn, false)
    await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'ok-alice' } })
    t.same((await a.inject({ url: '/host/account' })).json(), { user: 'alice', mfaSignedIn: true })
    t.same(signedIn, ['alice'])
    const b = agent(app)
    await b.inject({ method: 'POST', url: '/my-login', payload: { userId: 'bob' } })
    t.same((await b.inject({ url: '/host/account' })).json(), { user: 'bob', mfaSignedIn: true }, 'a user without MFA is signed in at once')
  })

  t.test('begin() refusals keep the suite\'s shape and headers whatever the host\'s error handler does', async (t) => {
    const { app } = await setup(t)
    const a = agent(app)
    await a.inject({ method: 'POST', url: '/my-login', payload: { userId: 'alice' } })
    for (let i = 0; i < 2; i++) await a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: 'wrong' } })
    const locked = await agent(app).inject({ method: 'POST', url: '/my-login', payload: { userId: 'alice' } })
    t.equal(locked.statusCode, 423)
    t.match(locked.json(), { code: 'FST_MFA_LOCKED', retryAfter: 60 })
    t.equal(locked.headers['retry-after'], '60')
    const unknown = await agent(app).inject({ method: 'POST', url: '/my-login', payload: { userId: 'nobody' } })
    t.match(unknown.json(), { statusCode: 401, code: 'FST_MFA_INVALID_CREDENTIALS' })
  })
})
