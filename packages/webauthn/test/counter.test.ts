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

t.test('counters stay zero for authenticators that do not count', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice', { counts: false, deviceType: 'multiDevice' })
    for (let i = 0; i < 3; i++) t.match(await ceremony(built, authenticator, login('alice')), { ok: true, amr: ['swk', 'user'] })
    const doc = await built.app.mfa.collection<CredentialDocument>('webauthn_credentials').findOne({ _id: authenticator.id })
    t.equal(doc!.counter, 0)
  })
})
