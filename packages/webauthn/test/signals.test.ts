import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApp, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { ceremonyOptions, ceremonyVerify, signals } from './helpers/ceremonies.js'
import { enroll, enrolled, passkey } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

// WebAuthn Signal API: what pages pass to PublicKeyCredential.signalAllAcceptedCredentials,
// signalCurrentUserDetails and signalUnknownCredential, so removed passkeys leave the browser's picker.

t.test('GET /mfa/webauthn/signals: the accepted credential ids and the user details, after a removal and a rename', async (t) => {
  await eachStore(t, async (t, store) => {
    const emails = new Map([['alice', 'alice@example.org']])
    const { app, clock, user } = await buildApp(t, store, {
      userName: (_request, userId) => emails.get(userId)!,
      userDisplayName: (_request, userId) => `Alice (${emails.get(userId)!})`
    })
    await user.signIn(sessionState(clock, 'alice', true))
    const first = new SoftAuthenticator(ORIGIN, RP_ID)
    const second = new SoftAuthenticator(ORIGIN, RP_ID, { deviceType: 'multiDevice' })
    await enroll(user, first)
    clock.advance(1)
    await enroll(user, second)
    const handle = (await app.mfa.users.get('alice')).webauthnUserHandle!
    t.equal(first.userHandle, handle, 'the user handle the authenticators store')

    const res = await signals(user)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], 'no-store')
    t.same(res.json(), {
      allAcceptedCredentials: { rpId: RP_ID, userId: handle, allAcceptedCredentialIds: [first.id, second.id] },
      currentUserDetails: { rpId: RP_ID, userId: handle, name: 'alice@example.org', displayName: 'Alice (alice@example.org)' }
    })

    const removed = await user.inject({ method: 'DELETE', url: `/mfa/webauthn/credentials/${first.id}` })
    t.equal(removed.statusCode, 204, 'DELETE still answers 204')
    t.same((await signals(user)).json().allAcceptedCredentials.allAcceptedCredentialIds, [second.id], 'the remaining ids only')

    emails.set('alice', 'alice@example.com')
    t.match((await signals(user)).json().currentUserDetails, { userId: handle, name: 'alice@example.com', displayName: 'Alice (alice@example.com)' }, 'after a rename of the user')

    await user.signIn(sessionState(clock, 'alice', true))
    await user.inject({ method: 'DELETE', url: `/mfa/webauthn/credentials/${second.id}` })
    t.same((await signals(user)).json().allAcceptedCredentials, { rpId: RP_ID, userId: handle, allAcceptedCredentialIds: [] }, 'none left: the browser drops them all')
  })
})

t.test('signals need a signed-in session and are about that user only', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    t.equal((await signals(built.user)).statusCode, 401)
    await enrolled(built, 'alice')
    await built.user.signIn(sessionState(built.clock, 'bob', false))
    const bob = (await signals(built.user)).json()
    t.same(bob.allAcceptedCredentials.allAcceptedCredentialIds, [])
    t.equal(bob.currentUserDetails.name, 'bob')
    t.not(bob.allAcceptedCredentials.userId, (await built.app.mfa.users.get('alice')).webauthnUserHandle)
  })
})

t.test('unknownCredentialSignal: non-null only for a credential id registered to nobody', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const api = built.app.mfa.webauthn!
    const alice = await enrolled(built, 'alice', { deviceType: 'multiDevice' })
    const bob = await enrolled(built, 'bob', { deviceType: 'multiDevice' })

    // A passkey the browser still offers, though its account removed it (or it never registered).
    const stale = new SoftAuthenticator(ORIGIN, RP_ID, { deviceType: 'multiDevice' })
    stale.userHandle = alice.userHandle
    const staleAnswer = stale.authenticate((await ceremonyOptions(built.user, passkey())).json())
    t.same(await ceremonyVerify(built.user, passkey(), staleAnswer),
      { ok: false, reason: 'invalid', details: { signal: { unknownCredential: { rpId: RP_ID, credentialId: stale.id } } } },
      'refused by the factor, with the signal the page passes to signalUnknownCredential (mfa-login puts it in its 401)')
    t.same(await api.unknownCredentialSignal(staleAnswer), { rpId: RP_ID, credentialId: stale.id })

    // Bob's passkey presented with Alice's user handle: refused, but it is Bob's: never signalled away.
    bob.userHandle = alice.userHandle
    const crossed = bob.authenticate((await ceremonyOptions(built.user, passkey())).json())
    t.same(await ceremonyVerify(built.user, passkey(), crossed), { ok: false, reason: 'invalid' })
    t.equal(await api.unknownCredentialSignal(crossed), null, "another user's credential")
    t.equal(await api.unknownCredentialSignal(alice.authenticate((await ceremonyOptions(built.user, passkey())).json())), null, 'a known credential')

    for (const malformed of [null, {}, { id: 42 }, { id: '' }, { id: 'not base64url!' }, { id: 'A'.repeat(1365) }]) {
      t.equal(await api.unknownCredentialSignal(malformed), null, JSON.stringify(malformed).slice(0, 40))
    }

    await built.app.mfa.webauthn!.remove(undefined as never, 'bob', bob.id)
    t.same(await api.unknownCredentialSignal(crossed), { rpId: RP_ID, credentialId: bob.id }, 'once removed, it belongs to nobody')
  })
})
