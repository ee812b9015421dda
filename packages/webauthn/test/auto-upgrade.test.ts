import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import type { CredentialDocument } from '../src/index.js'
import { GOOGLE_PASSWORD_MANAGER } from './helpers/aaguids.js'
import { buildApp, nowSec, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { conditionalOptions, conditionalVerify, registerOptions, registerVerify } from './helpers/ceremonies.js'
import { ceremony, passkey } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

// Automatic passkey upgrade (WebAuthn conditional create): right after a password + second-factor
// sign-in the password manager may create a passkey silently, without user presence.

const passwordManager = () => new SoftAuthenticator(ORIGIN, RP_ID, { deviceType: 'multiDevice', aaguid: GOOGLE_PASSWORD_MANAGER, userPresent: false, userVerified: false })

t.test('right after a password + second-factor sign-in a passkey is created without user presence', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const { app, clock, user } = built
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    await user.signIn(sessionState(clock, 'alice', true))
    t.equal(app.mfa.webauthn!.autoUpgradeAvailable({ mfa: { userId: 'alice', aal: 2, amr: ['pwd', 'otp', 'mfa'], mfaTime: nowSec(clock), enrollOnly: false } } as never, 'alice'), true)

    const options = await conditionalOptions(user)
    t.equal(options.statusCode, 200, options.body)
    t.match(options.json(), { rp: { id: RP_ID }, authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' }, excludeCredentials: [] })
    t.equal(options.headers['cache-control'], 'no-store')
    const manager = passwordManager()
    clock.advance(5)
    const res = await conditionalVerify(user, manager.register(options.json()))
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json().credential, { id: manager.id, name: 'Google Password Manager', authenticatorName: 'Google Password Manager', deviceType: 'multiDevice', backupEligible: true })
    t.notOk('backupCodes' in res.json())

    t.match(events.find((e) => e.type === 'webauthn.auto_registered'), { userId: 'alice', method: 'webauthn', details: { credentialId: manager.id, name: 'Google Password Manager' } })
    t.match(events.find((e) => e.type === 'factor.added'), { userId: 'alice', method: 'webauthn' }, 'core tells the user (factor_added)')
    t.notOk(events.some((e) => e.type === 'webauthn.registered'), 'told apart from a registration with a dialog')
    t.match(await app.mfa.collection<CredentialDocument>('webauthn_credentials').findOne({ _id: manager.id }), { autoRegistered: true, userId: 'alice' })

    // The next sign-in uses it (the browser verifies the user then).
    t.same(await ceremony(built, manager, passkey(), { userPresent: true, userVerified: true }), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 })
  })
})

t.test('the normal registration still requires user presence', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', true))
    const res = await registerVerify(user, passwordManager().register((await registerOptions(user)).json()))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
  })
})

t.test('the relaxed rule belongs to the conditional challenge only: challenges do not cross routes', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', true))
    // A normal registration's challenge answered without user presence, on the conditional route.
    const normal = passwordManager().register((await registerOptions(user)).json())
    t.equal((await conditionalVerify(user, normal)).statusCode, 400, 'a normal challenge on the conditional route')
    // A conditional challenge on the normal route: refused, and not spent.
    const conditional = passwordManager().register((await conditionalOptions(user)).json())
    t.equal((await registerVerify(user, conditional)).statusCode, 400, 'a conditional challenge on the normal route')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
    t.equal((await conditionalVerify(user, conditional)).statusCode, 200, 'its own route takes it')
  })
})

t.test('only within autoUpgradeWindow after the second factor of the sign-in', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store, { autoUpgradeWindow: 60 })
    await user.signIn(sessionState(clock, 'alice', true))
    clock.advance(60)
    t.equal((await conditionalOptions(user)).statusCode, 200, 'at the end of the window')
    clock.advance(1)
    const late = await conditionalOptions(user)
    t.equal(late.statusCode, 403)
    t.equal(late.json().code, 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE')

    // Options inside the window, the answer after it: refused, nothing stored.
    await user.signIn(sessionState(clock, 'alice', true))
    const options = (await conditionalOptions(user)).json()
    clock.advance(61)
    const answer = await conditionalVerify(user, passwordManager().register(options))
    t.equal(answer.statusCode, 403)
    t.equal(answer.json().code, 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
  })
})

t.test('the default window is 300 seconds', async (t) => {
  const { clock, user } = await buildApp(t, 'memory')
  await user.signIn(sessionState(clock, 'alice', true))
  clock.advance(300)
  t.equal((await conditionalOptions(user)).statusCode, 200)
  clock.advance(1)
  t.equal((await conditionalOptions(user)).statusCode, 403)
})

t.test('refused without a two-factor password sign-in: password only, remembered device, passkey sign-in, enrol-only, pending, none', async (t) => {
  const { clock, user } = await buildApp(t, 'memory')
  const now = nowSec(clock)
  t.equal((await conditionalOptions(user)).statusCode, 401, 'no session')
  await user.signIn({ aal: 0, amr: [], pending: { id: 'p', expiresAt: now + 300, methods: ['totp'] } })
  t.equal((await conditionalOptions(user)).statusCode, 401, 'a pending login')
  const refused: Array<[string, Record<string, unknown>]> = [
    ['password only', sessionState(clock, 'alice', false)],
    ['a remembered device (no second factor checked)', { userId: 'alice', aal: 2, amr: ['pwd', 'rmd', 'mfa'], authTime: now }],
    ['a passkey sign-in (no password)', { userId: 'alice', aal: 3, amr: ['hwk', 'user', 'mfa'], authTime: now, mfaTime: now, mfaMethod: 'webauthn' }]
  ]
  for (const [label, state] of refused) {
    await user.signIn(state)
    const res = await conditionalOptions(user)
    t.equal(res.statusCode, 403, label)
    t.equal(res.json().code, 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE', label)
  }
  await user.signIn({ ...sessionState(clock, 'alice', true), enrollOnly: true })
  const enrolOnly = await conditionalOptions(user)
  t.equal(enrolOnly.statusCode, 403, 'an enrol-only session')
  t.not(enrolOnly.json().code, 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE', 'refused by the signed-in guard already')
})

t.test('the conditional challenge is bound to the session and the user', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', true))
    const response = passwordManager().register((await conditionalOptions(user)).json())
    const otherSession = agent(app)
    await otherSession.signIn(sessionState(clock, 'alice', true))
    t.equal((await conditionalVerify(otherSession, response)).statusCode, 400, 'same user, another session')
    const mallory = agent(app)
    await mallory.signIn(sessionState(clock, 'mallory', true))
    t.equal((await conditionalVerify(mallory, response)).statusCode, 400, 'another user')
    t.equal((await conditionalVerify(user, response)).statusCode, 200, 'attempts elsewhere did not spend it')
    t.equal((await conditionalVerify(user, response)).statusCode, 400, 'single-use')
  })
})

t.test('autoUpgrade: false removes the routes', async (t) => {
  const { app, clock, user } = await buildApp(t, 'memory', { autoUpgrade: false })
  await user.signIn(sessionState(clock, 'alice', true))
  t.equal((await conditionalOptions(user)).statusCode, 404)
  t.equal((await conditionalVerify(user, passwordManager().register({ challenge: Buffer.alloc(32, 1).toString('base64url') }))).statusCode, 404)
  t.equal(app.mfa.webauthn!.autoUpgradeAvailable({ mfa: { userId: 'alice', aal: 2, amr: ['pwd', 'otp', 'mfa'], mfaTime: nowSec(clock), enrollOnly: false } } as never, 'alice'), false)
  await t.rejects(app.mfa.webauthn!.autoUpgradeOptions({ mfa: { userId: 'alice', aal: 2, amr: ['pwd'], mfaTime: nowSec(clock), enrollOnly: false } } as never, 'alice', 'b'),
    { code: 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE' }, 'the api refuses too')
})

t.test('bad input to the conditional routes gets 400', async (t) => {
  const { clock, user } = await buildApp(t, 'memory')
  await user.signIn(sessionState(clock, 'alice', true))
  t.equal((await user.inject({ method: 'POST', url: '/mfa/webauthn/register/conditional/options', payload: { name: 'x' } })).statusCode, 400, 'no name: it comes from the authenticator')
  t.equal((await user.inject({ method: 'POST', url: '/mfa/webauthn/register/conditional/verify', payload: {} })).statusCode, 400)
  t.equal((await user.inject({ method: 'POST', url: '/mfa/webauthn/register/conditional/verify', payload: { response: { id: 'a', rawId: 'a', type: 'public-key', response: {} }, name: 'x' } })).statusCode, 400)
})
