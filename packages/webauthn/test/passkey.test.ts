import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApp } from './helpers/app.js'
import { ceremonyOptions, ceremonyVerify } from './helpers/ceremonies.js'
import { ceremony, enrolled, login, passkey } from './helpers/enroll.js'

// Discoverable-credential sign-in without a username.

t.test('passkey sign-in finds the user by credential and user handle', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    await enrolled(built, 'bob', { deviceType: 'multiDevice' })
    const alicePasskey = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    const options = (await ceremonyOptions(built.user, passkey())).json()
    t.notOk('allowCredentials' in options && options.allowCredentials.length > 0, 'no allowCredentials: discoverable credentials')
    t.equal(options.userVerification, 'required', "user verification asked for, though the plugin's option is 'preferred'")
    // A synced passkey proves AAL 2 (NIST SP 800-63B-4); `user` in amr says UV was done.
    t.same(await ceremonyVerify(built.user, passkey(), alicePasskey.authenticate(options)), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 })

    const bobsHandle = (await built.app.mfa.users.get('bob')).webauthnUserHandle!
    const realHandle = alicePasskey.userHandle
    alicePasskey.userHandle = bobsHandle
    t.same(await ceremony(built, alicePasskey, passkey()), { ok: false, reason: 'invalid' }, "Alice's credential claiming Bob's user handle")
    alicePasskey.userHandle = realHandle
    t.same(await ceremony(built, alicePasskey, passkey(), { omitUserHandle: true }), { ok: false, reason: 'invalid' }, 'no user handle')
    t.same(await ceremony(built, alicePasskey, login('bob')), { ok: false, reason: 'invalid' }, "Alice's passkey answering Bob's pending login")
  })
})

t.test('a passkey without user verification is one factor: AAL 1, no `user` in amr', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const synced = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    t.same(await ceremony(built, synced, passkey(), { userVerified: false }), { ok: true, userId: 'alice', amr: ['swk'], aal: 1 })
    t.same(await ceremony(built, synced, passkey(), { userVerified: true }), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 })
    const deviceBound = await enrolled(built, 'bob')
    t.same(await ceremony(built, deviceBound, passkey(), { userVerified: false }), { ok: true, userId: 'bob', amr: ['hwk'], aal: 1 })
    t.same(await ceremony(built, deviceBound, passkey(), { userVerified: true }), { ok: true, userId: 'bob', amr: ['hwk', 'user'], aal: 3 })
  })
})
