import t from 'tap'
import { SoftAuthenticator } from '../../packages/webauthn/test/helpers/softAuthenticator.js'
import { ORIGIN, PASSWORD, RP_ID, browser, oathtool, randomEmail, sharedDatabase, signedUpAdmin, totpUser, twoInstances, type Browser } from './cluster.js'
import type { FastifyInstance } from 'fastify'

// SPEC §8 from outside: two example-app instances on one database; sessions end on both at once.
const db = await sharedDatabase(t)
if (db) {
  // A TOTP time step is accepted once, and never after a newer one: more sign-ins within a test use backup codes.
  const signedIn = async (app: FastifyInstance, email: string, code: string, method = 'backup-code', password = PASSWORD): Promise<Browser> => {
    const user = browser()
    const step = await user.post(app, '/auth/login', { login: email, password })
    if (step.json().step !== 'mfa') throw new Error(step.body)
    const done = await user.post(app, '/auth/login/verify', { method, code })
    if (done.statusCode !== 200) throw new Error(done.body)
    return user
  }
  const whoami = async (app: FastifyInstance, user: Browser) => (await user.get(app, '/auth/session')).json().userId as string | null

  t.test('sessions are listed and ended from either instance', async (t) => {
    const { a, b } = await twoInstances(t, db)
    const { email, backupCodes } = await totpUser({ a, b }, randomEmail('sessions'), Date.now())
    const laptop = await signedIn(a, email, backupCodes[0]!)
    const phone = await signedIn(b, email, backupCodes[1]!)
    const listed = (await laptop.get(b, '/mfa/sessions')).json() as Array<{ id: string, current: boolean }>
    t.equal(listed.length, 2, 'B lists the session A opened, and its own')
    t.equal(listed.filter((s) => s.current).length, 1)
    const phoneId = listed.find((s) => !s.current)!.id
    t.equal((await laptop.inject(a, { method: 'DELETE', url: `/mfa/sessions/${phoneId}`, headers: { origin: ORIGIN } })).statusCode, 204)
    t.equal(await whoami(b, phone), null, 'the phone is signed out on B')
    t.equal(await whoami(a, phone), null, 'and on A')
    t.ok(await whoami(b, laptop), 'the laptop goes on')
  })

  t.test('a password change on A signs the user out of B; a factor removal on B signs them out of A', async (t) => {
    const { a, b } = await twoInstances(t, db)
    const t0 = Date.now()
    const { email, secret, backupCodes } = await totpUser({ a, b }, randomEmail('change'), t0)
    const [one, two] = [await signedIn(a, email, backupCodes[0]!), await signedIn(b, email, backupCodes[1]!)]
    const changed = await one.post(a, '/api/password', { currentPassword: PASSWORD, newPassword: 'a new password 42' })
    t.equal(changed.statusCode, 204, changed.body)
    t.equal(await whoami(b, two), null, 'the other session ended')
    t.ok(await whoami(b, one), 'the session that changed it goes on, on either instance')
    const login = async (password: string) => (await browser().post(b, '/auth/login', { login: email, password })).json()
    t.match(await login(PASSWORD), { code: 'FST_MFA_INVALID_CREDENTIALS' }, 'the old password is refused')
    t.match(await login('a new password 42'), { step: 'mfa' })

    const three = await signedIn(a, email, backupCodes[2]!, 'backup-code', 'a new password 42')
    t.equal((await one.post(a, '/auth/step-up/verify', { method: 'totp', code: oathtool(secret, t0 + 30_000) })).statusCode, 200)
    t.equal((await one.inject(b, { method: 'DELETE', url: '/mfa/totp' })).statusCode, 204, 'fresh from the step-up')
    t.equal(await whoami(a, three), null, 'turning TOTP off on B ends the session on A')
    t.ok(await whoami(a, one))
    t.same((await one.get(a, '/mfa')).json().backupCodes, { remaining: 0 }, 'the backup codes went with the last factor')
  })

  t.test('a support reset by a WebAuthn-fresh admin ends every session of the user and shows in their events', async (t) => {
    const { a, b } = await twoInstances(t, db, { ADMIN_EMAILS: 'root@example.com' })
    const { email, backupCodes } = await totpUser({ a, b }, randomEmail('victim'), Date.now())
    const victim = await signedIn(b, email, backupCodes[0]!)

    // An admin with a key (their first factor), signed in with it on A.
    const admin = browser()
    await signedUpAdmin(a, admin, 'root@example.com')
    const key = new SoftAuthenticator(ORIGIN, RP_ID)
    const options = (await admin.post(a, '/mfa/webauthn/register/options', { name: 'YubiKey' })).json()
    t.equal((await admin.post(a, '/mfa/webauthn/register/verify', { response: key.register(options) })).statusCode, 200)
    await admin.post(a, '/auth/logout')
    t.match((await admin.post(a, '/auth/login', { login: 'root@example.com', password: PASSWORD })).json(), { step: 'mfa', methods: ['webauthn'] })
    const request = (await admin.post(a, '/auth/login/webauthn/options')).json()
    t.match((await admin.post(b, '/auth/login/webauthn/verify', { response: key.authenticate(request) })).json(), { step: 'complete', aal: 3 })

    const reset = await admin.post(b, '/admin/users/reset-mfa', { email, reason: 'lost phone, identity checked by video call' })
    t.equal(reset.statusCode, 204, reset.body)
    t.equal(await whoami(a, victim), null, 'the user\'s session ended')
    const back = browser()
    t.match((await back.post(a, '/auth/login', { login: email, password: PASSWORD })).json(), { step: 'complete', aal: 1 }, 'the password alone, to enrol again')
    const events = (await back.get(b, '/auth/events')).json() as Array<{ type: string, details: Record<string, unknown> }>
    t.match(events.find((e) => e.type === 'recovery.admin_reset'), { details: { actor: 'root@example.com', reason: 'lost phone, identity checked by video call' } })
  })

  t.test('a TOTP step-up does not open factor management for an admin whose role needs WebAuthn', async (t) => {
    const { a, b } = await twoInstances(t, db, { ADMIN_EMAILS: 'boss@example.com' })
    const t0 = Date.now()
    const admin = browser()
    await signedUpAdmin(a, admin, 'boss@example.com')
    const key = new SoftAuthenticator(ORIGIN, RP_ID)
    const options = (await admin.post(a, '/mfa/webauthn/register/options', {})).json()
    await admin.post(a, '/mfa/webauthn/register/verify', { response: key.register(options) })
    await admin.post(a, '/auth/logout')
    await admin.post(a, '/auth/login', { login: 'boss@example.com', password: PASSWORD })
    const request = (await admin.post(a, '/auth/login/webauthn/options')).json()
    t.match((await admin.post(b, '/auth/login/webauthn/verify', { response: key.authenticate(request) })).json(), { step: 'complete', aal: 3 })
    const setup = (await admin.post(b, '/mfa/totp/setup')).json()
    t.equal((await admin.post(b, '/mfa/totp/confirm', { code: oathtool(setup.secret, t0) })).statusCode, 200, 'fresh from the key')
    // A TOTP code (phished, say) must not count for an admin, whose role needs the key.
    const stepUp = await admin.post(a, '/auth/step-up/verify', { method: 'totp', code: oathtool(setup.secret, t0 + 30_000) })
    t.equal(stepUp.statusCode, 403)
    t.match(stepUp.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['webauthn'] })
  })

  t.test('cross-origin and text/plain requests change nothing; pages cannot be framed', async (t) => {
    const { a, b } = await twoInstances(t, db)
    const { email, backupCodes } = await totpUser({ a, b }, randomEmail('csrf'), Date.now())
    const user = await signedIn(a, email, backupCodes[0]!)
    const before = (await user.get(b, '/mfa/backup-codes')).json()
    const foreign = await user.inject(b, { method: 'POST', url: '/mfa/backup-codes', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, payload: '{}' })
    t.match(foreign.json(), { statusCode: 403, code: 'FST_MFA_ORIGIN_REFUSED' })
    const plain = await user.inject(a, { method: 'POST', url: '/mfa/backup-codes', headers: { 'content-type': 'text/plain' }, payload: '' })
    t.equal(plain.statusCode, 415)
    const logout = await user.inject(a, { method: 'POST', url: '/auth/logout', headers: { 'sec-fetch-site': 'cross-site' } })
    t.equal(logout.statusCode, 403)
    t.same((await user.get(b, '/mfa/backup-codes')).json(), before, 'the codes were not replaced')
    t.ok(await whoami(b, user), 'still signed in')
    const page = await user.get(a, '/settings/security')
    t.match(page.headers['content-security-policy'], /frame-ancestors 'none'/)
    t.equal(page.headers['x-frame-options'], 'DENY')
  })
}
