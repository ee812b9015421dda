import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import type { CredentialDocument } from '../src/index.js'
import { buildApp } from './helpers/app.js'
import { ceremony, enrolled, login } from './helpers/enroll.js'

// WebAuthn §6.1.1 signature counter rule.

t.test('counter regression is refused, audited, and the stored counter kept', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice')
    const credentials = built.app.mfa.collection<CredentialDocument>('webauthn_credentials')
    const suspected: MfaEvent[] = []
    built.app.mfa.on('webauthn.clone_suspected', (e) => { suspected.push(e) })

    t.match(await ceremony(built, authenticator, login('alice'), { counter: 5 }), { ok: true })
    t.equal((await credentials.findOne({ _id: authenticator.id }))!.counter, 5)
    t.same(await ceremony(built, authenticator, login('alice'), { counter: 3 }), { ok: false, reason: 'clone_suspected' }, 'lower counter')
    t.same(await ceremony(built, authenticator, login('alice'), { counter: 5 }), { ok: false, reason: 'clone_suspected' }, 'equal counter')
    t.same(await ceremony(built, authenticator, login('alice'), { counter: 0 }), { ok: false, reason: 'clone_suspected' }, 'counter reset to zero')
    t.equal((await credentials.findOne({ _id: authenticator.id }))!.counter, 5, 'stored counter kept')
    t.equal(suspected.length, 3)
    t.match(suspected[0], { type: 'webauthn.clone_suspected', userId: 'alice', method: 'webauthn', details: { credentialId: authenticator.id, storedCounter: 5, receivedCounter: 3 } })
    const stored = await built.app.mfa.events.recent('alice', 10)
    t.ok(stored.some((e) => e.type === 'webauthn.clone_suspected'), 'in mfa_events')
    t.match(await ceremony(built, authenticator, login('alice'), { counter: 6 }), { ok: true }, 'a growing counter is accepted again')
  })
})

t.test('a counter accepted once stays refused when racing writes left a lower stored counter', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice')
    const credentials = built.app.mfa.collection<CredentialDocument>('webauthn_credentials')
    t.match(await ceremony(built, authenticator, login('alice'), { counter: 9 }), { ok: true })
    t.match(await ceremony(built, authenticator, login('alice'), { counter: 11 }), { ok: true })
    // Two assertions checked at once (counters 11 and 10, each against the stored 9): the write of
    // the lower one may land last.
    await credentials.updateOne({ _id: authenticator.id }, { $set: { counter: 10 } })
    t.same(await ceremony(built, authenticator, login('alice'), { counter: 11 }), { ok: false, reason: 'clone_suspected' }, 'the counter accepted before')
    t.same(await ceremony(built, authenticator, login('alice'), { counter: 10 }), { ok: false, reason: 'clone_suspected' }, 'lower than one accepted before')
    t.match(await ceremony(built, authenticator, login('alice'), { counter: 12 }), { ok: true }, 'a higher counter is accepted')
    const counters = built.app.mfa.collection<{ _id: string }>('webauthn_credentials_counters')
    t.same((await counters.find({})).map((c) => c._id), [`${authenticator.id}#12`], 'only the highest claim is kept')
    await built.app.mfa.webauthn!.remove(undefined as never, 'alice', authenticator.id)
    t.same(await counters.find({}), [], 'removing the credential removes its claims')
  })
})

t.test('counters stay zero for authenticators that do not count', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice', { counts: false, deviceType: 'multiDevice' })
    for (let i = 0; i < 3; i++) t.match(await ceremony(built, authenticator, login('alice')), { ok: true, amr: ['swk', 'user'] })
    const doc = await built.app.mfa.collection<CredentialDocument>('webauthn_credentials').findOne({ _id: authenticator.id })
    t.equal(doc!.counter, 0)
  })
})
