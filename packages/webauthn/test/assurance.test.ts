import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { CredentialDocument } from '../src/index.js'
import { buildApp } from './helpers/app.js'
import { ceremony, enrolled, login, passkey } from './helpers/enroll.js'

// NIST SP 800-63B-4: a synced passkey (backup-eligible, `swk`) proves AAL 2, a device-bound key
// (`hwk`) AAL 3; `user` in amr says the authenticator verified the user.

const stepUp = (userId: string) => ({ purpose: 'step-up' as const, binding: 'session-1', userId })

t.test('a synced passkey proves AAL 2 (swk) and a device-bound key AAL 3 (hwk), in every ceremony', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const synced = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    const deviceBound = await enrolled(built, 'bob')

    t.same(await ceremony(built, synced, login('alice')), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 }, 'second factor')
    t.same(await ceremony(built, synced, stepUp('alice')), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 }, 'step-up')
    t.same(await ceremony(built, synced, passkey()), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 }, 'passkey sign-in')
    t.same(await ceremony(built, synced, login('alice'), { userVerified: false }), { ok: true, userId: 'alice', amr: ['swk'], aal: 2 }, 'after a password, without UV')

    t.same(await ceremony(built, deviceBound, login('bob')), { ok: true, userId: 'bob', amr: ['hwk', 'user'], aal: 3 }, 'second factor')
    t.same(await ceremony(built, deviceBound, stepUp('bob'), { userVerified: false }), { ok: true, userId: 'bob', amr: ['hwk'], aal: 3 }, 'step-up without UV')
    t.same(await ceremony(built, deviceBound, passkey()), { ok: true, userId: 'bob', amr: ['hwk', 'user'], aal: 3 }, 'passkey sign-in')
  })
})

t.test('a backup-eligible credential that is not backed up yet is still synced: AAL 2', async (t) => {
  const built = await buildApp(t, 'memory')
  const notYetSynced = await enrolled(built, 'alice', { backupEligible: true, backedUp: false })
  const [view] = await built.app.mfa.webauthn!.list('alice')
  t.match(view, { deviceType: 'multiDevice', backupEligible: true, backedUp: false })
  t.same(await ceremony(built, notYetSynced, login('alice')), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 })
})

t.test('syncedPasskeyAal: 3 counts a synced passkey as AAL 3; UV is still needed for a passkey sign-in', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store, { syncedPasskeyAal: 3 })
    const synced = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    t.same(await ceremony(built, synced, login('alice')), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 3 })
    t.same(await ceremony(built, synced, passkey()), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 3 })
    t.same(await ceremony(built, synced, passkey(), { userVerified: false }), { ok: true, userId: 'alice', amr: ['swk'], aal: 1 })
  })
})

t.test('an assertion whose backup eligibility differs from the registration is refused', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const deviceBound = await enrolled(built, 'alice')
    const synced = await enrolled(built, 'bob', { deviceType: 'multiDevice' })
    // A "hardware key" that now says it may be synced would otherwise keep proving hwk / AAL 3.
    t.same(await ceremony(built, deviceBound, login('alice'), { backupEligible: true }), { ok: false, reason: 'invalid' }, 'device-bound key now backup-eligible')
    t.same(await ceremony(built, synced, login('bob'), { backupEligible: false }), { ok: false, reason: 'invalid' }, 'synced passkey now device-bound')
    t.match(await ceremony(built, deviceBound, login('alice')), { ok: true, aal: 3 })
    t.match(await ceremony(built, synced, login('bob')), { ok: true, aal: 2 })
  })
})

t.test('credentials stored before backupEligible was recorded are judged by their device type', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const synced = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    const credentials = built.app.mfa.collection<CredentialDocument>('webauthn_credentials')
    await credentials.updateOne({ _id: synced.id }, { $unset: { backupEligible: '' } })
    t.notOk('backupEligible' in (await credentials.findOne({ _id: synced.id }))!, 'an older document')
    t.match((await built.app.mfa.webauthn!.list('alice'))[0], { backupEligible: true })
    t.same(await ceremony(built, synced, login('alice')), { ok: true, userId: 'alice', amr: ['swk', 'user'], aal: 2 })
    t.same(await ceremony(built, synced, login('alice'), { backupEligible: false }), { ok: false, reason: 'invalid' })
  })
})
