import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { freshUser, regenerate, setup, verify } from './helpers.js'

// Core calls recoveryCodes.remove() when a user's last primary factor goes (SPEC §8): without it,
// turning TOTP off and enrolling again later brought the old codes back.
t.test('recoveryCodes.remove(): codes do not outlive the last primary factor; a later enrolment gets a new set', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, events } = await setup(t, store)
    const user = await freshUser(app, clock)
    await regenerate(user)
    const old = await regenerate(user) // two sets, so a retired one is on record too
    const [other] = await regenerate(await freshUser(app, clock, 'u2')) as [string]
    t.ok((await verify(app, 'u1', old[0]!)).ok)
    const recoveryCodes = app.mfa.recoveryCodes!
    await recoveryCodes.remove('u1')

    for (const code of old.slice(1)) t.same(await verify(app, 'u1', code), { ok: false, reason: 'not_enrolled' })
    t.same(await app.mfa.backupCodes!.status('u1'), { remaining: 0, createdAt: null })
    const removed = () => events.filter((e) => e.type === 'backup_codes.removed')
    t.match(removed(), [{ userId: 'u1', method: 'backup-code', details: { reason: 'no_primary_factor' } }])
    t.equal(await app.mfa.collection('backup_codes').countDocuments({ userId: 'u1' }), 0, 'no code left')
    t.equal(await app.mfa.collection('backup_code_sets').countDocuments({ _id: 'u1' }), 0, 'no set left')
    t.equal(await app.mfa.collection('backup_code_sets_retired').countDocuments({ userId: 'u1' }), 0, 'no retired set left')
    t.equal(await app.mfa.collection('backup_code_sets_retired').countDocuments({ userId: 'u2' }), 0, 'u2 never replaced a set')
    t.ok((await verify(app, 'u2', other)).ok, "another user's codes still work")

    await recoveryCodes.remove('u1')
    t.equal(removed().length, 1, 'nothing left to remove: no event')

    const fresh = await recoveryCodes.issueIfNone('u1')
    t.equal(fresh?.length, 10, 'enrolling again issues a set')
    t.same(fresh!.filter((code) => old.includes(code)), [], 'a brand-new set')
    for (const code of old) t.notOk((await verify(app, 'u1', code)).ok, 'no old code works again')
    t.ok((await verify(app, 'u1', fresh![0]!)).ok)
    t.equal(events.filter((e) => e.type === 'backup_codes.created').length, 1)
  })
})
