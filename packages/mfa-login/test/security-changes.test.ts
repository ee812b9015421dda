import t from 'tap'
import { eachStore, freshStore } from '@fastify-mfa/testing'
import type { FactorResult, MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { PASSWORD, agent, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

type Agent = ReturnType<typeof agent>
const login = (a: Agent, email: string) => a.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password: PASSWORD } })
const verify = (a: Agent, method: string, code: string) => a.inject({ method: 'POST', url: '/auth/login/verify', payload: { method, code } })
const stepUp = (a: Agent, method: string, code: string) => a.inject({ method: 'POST', url: '/auth/step-up/verify', payload: { method, code } })
const whoami = async (a: Agent) => (await a.inject({ url: '/auth/session' })).json().userId

/** A passkey stand-in: the response names the user it signs in (`{ user }`), with user verification. */
const passkeyFactor = (keyUsers: Set<string>): MfaFactor => ({
  id: 'webauthn',
  amr: 'hwk',
  kind: 'ceremony',
  phishingResistant: true,
  isEnrolled: async (userId) => keyUsers.has(userId),
  enrolledUserIds: async () => [...keyUsers],
  challenge: async () => ({ challenge: 'c' }),
  async verifyResponse (userId, response): Promise<FactorResult> {
    const { user: owner, synced } = response as { user?: string, synced?: boolean }
    if (!owner || !keyUsers.has(owner) || (userId !== null && userId !== owner)) return { ok: false, reason: 'invalid' }
    // NIST SP 800-63B-4: a synced passkey is aal 2, a device-bound key aal 3.
    return synced ? { ok: true, userId: owner, amr: ['swk', 'user'], aal: 2 } : { ok: true, userId: owner, amr: ['hwk', 'user'], aal: 3 }
  },
  remove: async (userId) => { keyUsers.delete(userId) }
})

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0], loginOptions: object = {}, routes?: (app: Parameters<NonNullable<Parameters<typeof buildLoginApp>[1]['routes']>>[0]) => void) {
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')], ['admin', user('admin', { roles: ['admin'] })], ['carol', user('carol')]])
    const totp = fakeCodeFactor('totp', new Set(['alice', 'admin', 'carol']))
    const keyUsers = new Set(['admin', 'carol'])
    const app = await buildLoginApp(t, {
      users,
      clock,
      store: await freshStore(t, kind),
      factors: [totp.factor, passkeyFactor(keyUsers)],
      login: { rateLimit: false, roles: { admin: { methods: ['webauthn'] } }, ...loginOptions },
      routes
    })
    const signedIn = async (email: string) => {
      const a = agent(app)
      await login(a, email)
      const res = await verify(a, 'totp', `ok-${email.split('@')[0]}`)
      if (res.statusCode !== 200) throw new Error(res.body)
      return a
    }
    const passkey = async (a: Agent, owner: string, synced = false) => {
      await a.inject({ method: 'POST', url: '/auth/passkey/options', payload: {} })
      return await a.inject({ method: 'POST', url: '/auth/passkey/verify', payload: { response: { user: owner, synced } } })
    }
    return { app, clock, users, keyUsers, signedIn, passkey }
  }

  t.test('regression: a password change ends the user\'s other sessions and pending logins', async (t) => {
    const { app, signedIn } = await setup(t)
    const other = await signedIn('alice@example.com')
    const pending = agent(app)
    const { mfaToken } = (await login(pending, 'alice@example.com')).json()
    await app.mfa.securityStampChanged('alice', { reason: 'password_changed' })
    t.equal(await whoami(other), null, 'signed out')
    const late = await app.inject({ method: 'POST', url: '/auth/login/verify', payload: { mfaToken, method: 'totp', code: 'ok-alice' } })
    t.equal(late.json().code, 'FST_MFA_LOGIN_EXPIRED', 'a second step begun with the old password cannot finish')
  })

  t.test('regression: an admin reset ends every session of the user, so none can enrol the attacker\'s TOTP', async (t) => {
    const { app, signedIn } = await setup(t)
    const thief = await signedIn('alice@example.com')
    const owner = await signedIn('alice@example.com')
    await app.mfa.admin.reset('alice', { actor: 'support@example.com', reason: 'lost phone' })
    t.equal(await whoami(thief), null)
    t.equal(await whoami(owner), null)
    t.equal((await thief.inject({ url: '/mfa-enrol' })).statusCode, 401, 'the surviving cookie cannot enrol anything')
  })

  t.test('regression: the step-up answers the level it proved, and a TOTP step-up does not refresh level 3', async (t) => {
    const { app, clock, passkey } = await setup(t)
    const a = agent(app)
    t.match((await passkey(a, 'carol')).json(), { step: 'complete', aal: 3 })
    t.equal((await a.inject({ url: '/aal3-fresh' })).statusCode, 200)
    clock.advance(3600)
    t.same((await stepUp(a, 'totp', 'ok-carol')).json(), { aal: 2, mfaTime: Math.floor(clock.ms / 1000) }, 'TOTP proves level 2, not 3')
    t.equal((await a.inject({ url: '/aal3-fresh' })).json().code, 'FST_MFA_STEP_UP_REQUIRED', 'the WebAuthn check is an hour old')
  })

  t.test('regression: a role that needs WebAuthn refuses a TOTP step-up (403) and refreshes nothing', async (t) => {
    const { app, clock, passkey } = await setup(t)
    const a = agent(app)
    t.match((await passkey(a, 'admin')).json(), { step: 'complete', aal: 3 })
    clock.advance(3600)
    const refused = await stepUp(a, 'totp', 'ok-admin')
    t.equal(refused.statusCode, 403)
    t.match(refused.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['webauthn'] })
    t.match((await a.inject({ url: '/mfa-manage' })).json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['webauthn'] },
      'factor management stays closed, and asks for what the role accepts')
    t.match((await a.inject({ url: '/auth/session' })).json(), { requiredMethods: ['webauthn'], stepUpMethods: ['webauthn'] })
    t.equal((await a.inject({ url: '/auth/session' })).json().fresh, false)
  })

  t.test('regression: passkey sign-in asks the host: a user it no longer knows is refused like a wrong password', async (t) => {
    const { app, users, passkey } = await setup(t)
    users.delete('carol')
    const res = await passkey(agent(app), 'carol')
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'FST_MFA_INVALID_CREDENTIALS')
  })

  t.test('passkey sign-in follows role policies: a role that does not allow WebAuthn is refused', async (t) => {
    const { app, passkey } = await setup(t, { roles: { admin: { methods: ['totp'] } } })
    const res = await passkey(agent(app), 'admin')
    t.equal(res.statusCode, 403)
    t.match(res.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['totp'] })
  })

  t.test('a role that needs a device-bound key (amr hwk) refuses a synced passkey, on sign-in and at step-up', async (t) => {
    const { app, passkey } = await setup(t, { roles: { admin: { methods: ['webauthn'], amr: ['hwk'] } } })
    const a = agent(app)
    const synced = await passkey(a, 'admin', true)
    t.equal(synced.statusCode, 403)
    t.match(synced.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', reason: 'authenticator_not_allowed', amr: ['hwk'] })
    t.equal((await a.inject({ url: '/auth/session' })).json().userId, null, 'not signed in')
    t.match((await passkey(a, 'admin')).json(), { step: 'complete', aal: 3 }, 'the hardware key signs in')
    await a.inject({ method: 'POST', url: '/auth/step-up/webauthn/options', payload: {} })
    const stepUp = await a.inject({ method: 'POST', url: '/auth/step-up/webauthn/verify', payload: { response: { user: 'admin', synced: true } } })
    t.match(stepUp.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', reason: 'authenticator_not_allowed' }, 'nor does it count at step-up')
    t.match((await passkey(agent(app), 'carol', true)).json(), { step: 'complete', aal: 2 }, 'a synced passkey is aal 2 for everyone else')
  })

  t.test('regression: an enrol-only admin whose only key is a synced passkey can still prove it, to add the hardware key the role needs', async (t) => {
    const { app, keyUsers } = await setup(t, { roles: { admin: { methods: ['webauthn'], amr: ['hwk'] } } })
    keyUsers.delete('admin')
    await app.mfa.factors.get('totp')!.remove('admin')
    const a = agent(app)
    t.match((await login(a, 'admin@example.com')).json(), { step: 'complete', enrollmentRequired: true })
    keyUsers.add('admin') // registers a synced passkey (a first factor needs no step-up)
    await a.inject({ method: 'POST', url: '/auth/step-up/webauthn/options', payload: {} })
    const stepUp = await a.inject({ method: 'POST', url: '/auth/step-up/webauthn/verify', payload: { response: { user: 'admin', synced: true } } })
    t.equal(stepUp.statusCode, 200, 'before: 403, and no way left to add the hardware key')
    t.match((await a.inject({ url: '/auth/session' })).json(), { enrollOnly: true, fresh: true }, 'still enrol-only, fresh enough to enrol')
    t.equal((await a.inject({ url: '/mfa-enrol' })).statusCode, 200)
    t.equal((await a.inject({ url: '/protected' })).json().code, 'FST_MFA_ENROLLMENT_REQUIRED')
  })

  t.test('removing the user\'s last primary factor ends their other sessions', async (t) => {
    const { signedIn } = await setup(t, {}, (app) => {
      app.post('/drop-totp', { preHandler: app.mfa.guards.manage }, async (request) => {
        await app.mfa.factors.get('totp')!.remove('alice')
        await app.mfa.factorRemoved('alice', { request, reason: 'totp.disabled' })
        return { ok: true }
      })
    })
    const other = await signedIn('alice@example.com')
    const current = await signedIn('alice@example.com')
    t.equal((await current.inject({ method: 'POST', url: '/drop-totp' })).statusCode, 200)
    t.equal(await whoami(other), null)
    t.equal(await whoami(current), 'alice')
  })
})

t.test('a role naming a method no plugin registered fails at ready', async (t) => {
  await t.rejects(buildLoginApp(t, { users: new Map(), clock: fakeClock(), login: { roles: { admin: { methods: ['webauthn'] } } } }),
    /role "admin" names "webauthn", which no registered plugin provides/)
})
