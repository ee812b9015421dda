import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { ADMIN, PASSWORD, addKey, addTotp, signInWithKey, signUp, signUpAdmin, startApp, totpCode, user, type Clock } from './helpers.js'

const NEW_PASSWORD = 'a much longer passphrase'
const FRESH_AGE = 300

await eachStore(t, async (t, _store, kind) => {
  t.test('POST /api/password', async (t) => {
    await t.test('a wrong current password changes nothing', async (t) => {
      const app = await startApp(t, kind)
      const ada = user(app)
      await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      const res = await ada.post('/api/password', { currentPassword: 'not the password', newPassword: NEW_PASSWORD })
      t.match(res.json(), { statusCode: 401, code: 'APP_WRONG_PASSWORD' })
      t.equal((await ada.get('/auth/session')).json().userId !== null, true, 'still signed in')
      const other = user(app)
      t.match((await other.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { step: 'complete' }, 'the old password still works')
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: NEW_PASSWORD })).json(), { code: 'FST_MFA_INVALID_CREDENTIALS' })
      t.equal((await other.get('/auth/session')).json().userId !== null, true, 'no other session was ended')
    })

    await t.test('bad input is 400 and signed-out requests 401', async (t) => {
      const app = await startApp(t, kind)
      const ada = user(app)
      t.match((await ada.post('/api/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' })
      await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      for (const body of [{ currentPassword: PASSWORD, newPassword: 'short' }, { currentPassword: PASSWORD }, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, extra: 1 },
        { currentPassword: PASSWORD, newPassword: 123456789 }, { currentPassword: PASSWORD, newPassword: 'x'.repeat(201) }]) {
        t.equal((await ada.post('/api/password', body)).statusCode, 400, JSON.stringify(body).slice(0, 60))
      }
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { step: 'complete' }, 'unchanged')
    })

    await t.test('with a fresh second factor: the password changes, other sessions end, this one goes on', async (t) => {
      const app = await startApp(t, kind)
      const here = user(app)
      await signUp(here, 'ada@example.com')
      await here.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      const key = await addKey(here)
      await here.post('/auth/logout')
      await signInWithKey(here, 'ada@example.com', key)
      const elsewhere = user(app)
      await signInWithKey(elsewhere, 'ada@example.com', key)
      const sidBefore = here.jar.get('sessionId')

      const res = await here.post('/api/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      t.equal(res.statusCode, 204, res.body)
      t.not(here.jar.get('sessionId'), sidBefore, 'this session goes on with a new id')
      t.match((await here.get('/auth/session')).json(), { userId: String }, 'this browser is still signed in')
      t.equal((await elsewhere.get('/auth/session')).json().userId, null, 'the other browser is signed out')
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { code: 'FST_MFA_INVALID_CREDENTIALS' }, 'the old password is refused')
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: NEW_PASSWORD })).json(), { step: 'mfa' }, 'the new one works')
      const events = (await here.get('/auth/events')).json() as Array<{ type: string, details?: { reason?: string } }>
      t.ok(events.some((e) => e.type === 'security_stamp.changed' && e.details?.reason === 'password_changed'), 'audited as a password change')
    })

    await t.test('without a fresh second factor: 403 FST_MFA_STEP_UP_REQUIRED and nothing changes', async (t) => {
      const clock: Clock = { skew: 0 }
      const app = await startApp(t, kind, {}, clock)
      const ada = user(app)
      await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      const key = await addKey(ada)
      await ada.post('/auth/logout')
      await signInWithKey(ada, 'ada@example.com', key)
      clock.skew += (FRESH_AGE + 1) * 1000
      const res = await ada.post('/api/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      t.match(res.json(), { statusCode: 403, code: 'FST_MFA_STEP_UP_REQUIRED' })
      t.ok(res.json().methods.includes('webauthn'), 'says what would do')
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { step: 'mfa' }, 'unchanged')
      // The step-up the page's dialog does, then the same request again.
      const options = await ada.post('/auth/step-up/webauthn/options')
      t.equal((await ada.post('/auth/step-up/webauthn/verify', { response: key.authenticate(options.json()) })).statusCode, 200)
      t.equal((await ada.post('/api/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).statusCode, 204, 'after the step-up')
    })

    await t.test('an enrol-only session cannot change the password', async (t) => {
      const app = await startApp(t, kind, { MFA_MODE: 'required', MFA_GRACE_DAYS: '0' })
      const ada = user(app)
      await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      t.match((await ada.get('/auth/session')).json(), { enrollOnly: true })
      t.match((await ada.post('/api/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).json(), { statusCode: 403, code: 'FST_MFA_ENROLLMENT_REQUIRED' })
      t.match((await ada.del('/api/account')).json(), { statusCode: 403, code: 'FST_MFA_ENROLLMENT_REQUIRED' })
    })
  })

  t.test('the enrol-only settings page shows only the enrolment cards', async (t) => {
    const app = await startApp(t, kind, { MFA_MODE: 'required', MFA_GRACE_DAYS: '0' })
    const ada = user(app)
    await signUp(ada, 'ada@example.com')
    await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    const page = (await ada.get('/settings/security')).body
    for (const id of ['totp', 'keys', 'nudge']) t.match(page, new RegExp(`id="${id}"`), `#${id} is shown`)
    for (const id of ['devices', 'sessions', 'password', 'events', 'account']) t.notMatch(page, new RegExp(`id="${id}"`), `#${id} is left out`)
    t.match(page, /data-enroll-only/)
    const full = user(app)
    await signUp(full, 'bob@example.com')
    await full.post('/auth/login', { login: 'bob@example.com', password: PASSWORD })
    const key = await addKey(full)
    // What the page's "Finish signing in" does: a step-up with the new key.
    const options = await full.post('/auth/step-up/webauthn/options')
    t.equal((await full.post('/auth/step-up/webauthn/verify', { response: key.authenticate(options.json()) })).statusCode, 200)
    t.match((await full.get('/auth/session')).json(), { enrollOnly: false }, 'proving it does')
    const settings = (await full.get('/settings/security')).body
    for (const id of ['sessions', 'password', 'account']) t.match(settings, new RegExp(`id="${id}"`), `#${id} once past enrolment`)
  })

  t.test('DELETE /api/account', async (t) => {
    await t.test('removes the user and every session; the password no longer signs in', async (t) => {
      const app = await startApp(t, kind)
      const ada = user(app)
      const id = await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      const key = await addKey(ada)
      await ada.post('/auth/logout')
      await signInWithKey(ada, 'ada@example.com', key)
      const elsewhere = user(app)
      await signInWithKey(elsewhere, 'ada@example.com', key)

      t.equal((await ada.del('/api/account')).statusCode, 204)
      t.equal((await ada.get('/auth/session')).json().userId, null, 'this browser is signed out')
      t.equal((await elsewhere.get('/auth/session')).json().userId, null, 'and every other')
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { statusCode: 401, code: 'FST_MFA_INVALID_CREDENTIALS' })
      t.equal(await app.mfa.store.collection('users').findOne({ id }), null, 'the host\'s record is gone')
      t.notOk(await app.mfa.factors.hasPrimary(id), 'and the MFA records')
      t.equal((await app.mfa.events.recent(id, 10)).length, 0, 'and the security history')
      t.equal((await user(app).post('/api/signup', { email: 'ada@example.com', password: PASSWORD })).statusCode, 201, 'the email is free again')
    })

    await t.test('without a fresh second factor: 403 and the account stays', async (t) => {
      const clock: Clock = { skew: 0 }
      const app = await startApp(t, kind, {}, clock)
      const ada = user(app)
      await signUp(ada, 'ada@example.com')
      await ada.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
      await addKey(ada)
      clock.skew += (FRESH_AGE + 1) * 1000
      t.match((await ada.del('/api/account')).json(), { statusCode: 403, code: 'FST_MFA_STEP_UP_REQUIRED' })
      t.match((await user(app).post('/auth/login', { login: 'ada@example.com', password: PASSWORD })).json(), { step: 'mfa' }, 'still there')
    })
  })

  t.test('POST /admin/users/reset-mfa', async (t) => {
    const clock: Clock = { skew: 0 }
    const app = await startApp(t, kind, {}, clock)
    // The user who lost their key.
    const bob = user(app)
    const bobId = await signUp(bob, 'bob@example.com')
    await bob.post('/auth/login', { login: 'bob@example.com', password: PASSWORD })
    const bobKey = await addKey(bob)
    await bob.post('/auth/logout')
    await signInWithKey(bob, 'bob@example.com', bobKey)
    const reason = 'ticket 1234: lost phone and key, identity checked by video call'
    const reset = async (who: ReturnType<typeof user>, body: object = { email: 'bob@example.com', reason }, headers: Record<string, string> = {}) =>
      await who.inject({ method: 'POST', url: '/admin/users/reset-mfa', payload: body, headers })

    await t.test('refused without a session', async (t) => {
      t.match((await reset(user(app))).json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' })
    })

    await t.test('refused for a user who is not an admin, even with a fresh key', async (t) => {
      t.match((await reset(bob)).json(), { statusCode: 403, code: 'APP_ADMIN_ONLY' })
      const carol = user(app)
      await signUp(carol, 'carol@example.com')
      await carol.post('/auth/login', { login: 'carol@example.com', password: PASSWORD })
      t.match((await reset(carol)).json(), { statusCode: 403, code: 'APP_ADMIN_ONLY' }, 'or with the password only')
      t.ok(await app.mfa.factors.hasPrimary(bobId), 'nothing was reset')
    })

    const admin = user(app)
    await signUpAdmin(admin, app)

    await t.test('refused for an admin whose second factor is an authenticator app', async (t) => {
      const { secret, usedAt } = await addTotp(admin)
      await admin.post('/auth/logout')
      t.match((await admin.post('/auth/login', { login: ADMIN, password: PASSWORD })).json(), { step: 'mfa' })
      const verified = await admin.post('/auth/login/verify', { method: 'totp', code: totpCode(secret, usedAt + 30_000) })
      t.equal(verified.statusCode, 200, verified.body)
      const res = await reset(admin)
      t.equal(res.statusCode, 403, 'a fresh TOTP check is not enough')
      t.ok(['FST_MFA_ENROLLMENT_REQUIRED', 'FST_MFA_REQUIRED', 'FST_MFA_STEP_UP_REQUIRED'].includes(res.json().code), res.json().code)
      t.ok(await app.mfa.factors.hasPrimary(bobId), 'nothing was reset')
    })

    const adminKey = await addKey(admin)
    await admin.post('/auth/logout')
    await signInWithKey(admin, ADMIN, adminKey)

    await t.test('input is checked', async (t) => {
      t.equal((await reset(admin, { email: 'bob@example.com', reason: '' })).statusCode, 400, 'a reason is needed')
      t.equal((await reset(admin, { email: 'bob@example.com', reason: 'x'.repeat(501) })).statusCode, 400, 'at most 500 characters')
      t.equal((await reset(admin, { email: 'bob@example.com' })).statusCode, 400)
      t.match((await reset(admin, { email: 'nobody@example.com', reason })).json(), { statusCode: 404, code: 'APP_USER_NOT_FOUND' })
      t.match((await reset(admin, undefined, { origin: 'https://evil.example' })).json(), { statusCode: 403, code: 'APP_ORIGIN_REFUSED' }, 'not from another site')
      t.ok(await app.mfa.factors.hasPrimary(bobId), 'nothing was reset')
    })

    await t.test('refused once the admin\'s key check is older than MFA_FRESH_AGE', async (t) => {
      clock.skew += (FRESH_AGE + 1) * 1000
      t.match((await reset(admin)).json(), { statusCode: 403, code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['webauthn'] })
      t.ok(await app.mfa.factors.hasPrimary(bobId), 'nothing was reset')
      const options = await admin.post('/auth/step-up/webauthn/options')
      t.equal((await admin.post('/auth/step-up/webauthn/verify', { response: adminKey.authenticate(options.json()) })).statusCode, 200, 'the key again')
    })

    await t.test('an admin with a fresh key check resets the user: factors gone, sessions ended, audited for the user', async (t) => {
      t.equal((await reset(admin, { email: 'Bob@Example.com', reason })).statusCode, 204)
      t.equal((await bob.get('/auth/session')).json().userId, null, 'bob is signed out')
      t.notOk(await app.mfa.factors.hasPrimary(bobId), 'bob has no second factor')
      t.match((await bob.post('/auth/login', { login: 'bob@example.com', password: PASSWORD })).json(), { step: 'complete' }, 'the password alone signs bob in, to enrol again')
      const events = (await bob.get('/auth/events')).json() as Array<{ type: string, details?: Record<string, unknown> }>
      t.match(events.find((e) => e.type === 'recovery.admin_reset'), { details: { actor: ADMIN, reason } }, 'bob sees who reset it and why')
      t.match((await admin.get('/auth/session')).json(), { userId: String }, 'the admin stays signed in')
    })
  })

  t.test('the admin page opens with a fresh key check and offers support recovery', async (t) => {
    const app = await startApp(t, kind)
    const admin = user(app)
    await signUpAdmin(admin, app)
    const key = await addKey(admin)
    await admin.post('/auth/logout')
    await signInWithKey(admin, ADMIN, key)
    const page = await admin.get('/admin')
    t.equal(page.statusCode, 200)
    t.match(page.body, /id="reset-mfa"/)
    t.match(page.body, /data-users-with-mfa>1</)
  })
})
