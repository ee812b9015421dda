import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { buildApp, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { registerOptions, registerVerify } from './helpers/ceremonies.js'
import { enroll } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

const key = (options = {}) => new SoftAuthenticator(ORIGIN, RP_ID, options)

t.test('register -> list -> rename: a user has several named credentials', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const events: MfaEvent[] = []
    app.mfa.on('webauthn.registered', (e) => { events.push(e) })

    const first = key()
    const res = await enroll(user, first, { name: 'Blue key' })
    t.equal(res.statusCode, 200, res.body)
    t.same(res.json().credential, {
      id: first.id,
      name: 'Blue key',
      createdAt: new Date(clock.ms).toISOString(),
      lastUsedAt: null,
      deviceType: 'singleDevice',
      backupEligible: false,
      backedUp: false,
      authenticatorName: null,
      transports: ['usb']
    })
    t.notOk('backupCodes' in res.json(), 'no backup codes plugin registered')
    t.equal(events.length, 1)
    t.match(events[0], { userId: 'alice', method: 'webauthn', details: { credentialId: first.id, name: 'Blue key' } })
    t.notOk(JSON.stringify(events[0]).includes('publicKey'), 'the event carries no key material')

    // The user now has a factor: adding another needs a fresh second factor.
    const stale = await registerOptions(user)
    t.equal(stale.statusCode, 403)
    t.equal(stale.json().code, 'FST_MFA_STEP_UP_REQUIRED')
    await user.signIn(sessionState(clock, 'alice', true))
    const passkey = key({ deviceType: 'multiDevice' })
    const options = (await registerOptions(user)).json()
    t.same(options.excludeCredentials, [{ id: first.id, type: 'public-key', transports: ['usb'] }], 'excludeCredentials lists the existing key')
    t.match(options, { rp: { id: RP_ID, name: 'Example' }, attestation: 'none', authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' } })
    clock.advance(10)
    const second = await registerVerify(user, passkey.register(options))
    t.equal(second.statusCode, 200, second.body)
    t.match(second.json().credential, { name: 'Passkey', deviceType: 'multiDevice', backupEligible: true, backedUp: true, authenticatorName: null })

    const list = await user.inject({ url: '/mfa/webauthn/credentials' })
    t.same(list.json().credentials.map((c: { id: string }) => c.id), [first.id, passkey.id], 'oldest first')
    t.ok(list.json().credentials.every((c: object) => 'lastUsedAt' in c && !('publicKey' in c) && !('counter' in c)))

    const renamed = await user.inject({ method: 'PATCH', url: `/mfa/webauthn/credentials/${passkey.id}`, payload: { name: 'Phone' } })
    t.equal(renamed.statusCode, 200)
    t.equal(renamed.json().credential.name, 'Phone')
    t.equal((await user.inject({ url: '/mfa' })).json().webauthn, 2, 'GET /mfa counts the credentials')
  })
})

t.test('the user handle is random, stable and never the user id', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const a = (await registerOptions(user)).json()
    const b = (await registerOptions(user)).json()
    t.equal(a.user.id, b.user.id)
    t.equal(Buffer.from(a.user.id, 'base64url').length, 32)
    t.not(a.user.id, Buffer.from('alice').toString('base64url'))
    t.equal(a.user.name, 'alice', 'userName defaults to the user id')
    t.equal((await app.mfa.users.get('alice')).webauthnUserHandle, a.user.id)
    t.not(a.challenge, b.challenge)
  })
})

t.test('userName and userDisplayName options', async (t) => {
  const { clock, user } = await buildApp(t, 'memory', {
    userName: (_request, userId) => `${userId}@example.org`,
    userDisplayName: async (_request, userId) => `User ${userId}`
  })
  await user.signIn(sessionState(clock, 'alice', false))
  t.match((await registerOptions(user)).json().user, { name: 'alice@example.org', displayName: 'User alice' })
})

t.test('first factor: backup codes come with the credential, once', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    const issued: string[] = []
    app.mfa.recoveryCodes = { issueIfNone: async (userId) => { issued.push(userId); return ['aaaa-bbbb', 'cccc-dddd'] }, remove: async () => {} }
    await user.signIn(sessionState(clock, 'alice', false))
    const first = await enroll(user, key())
    t.same(first.json().backupCodes, ['aaaa-bbbb', 'cccc-dddd'])
    await user.signIn(sessionState(clock, 'alice', true))
    const second = await enroll(user, key())
    t.equal(second.statusCode, 200)
    t.notOk('backupCodes' in second.json(), 'not the first factor any more')
    t.same(issued, ['alice'])
  })
})

t.test('refused registrations store nothing', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const factor = app.mfa.factors.get('webauthn')!

    const wrongOrigin = await enroll(user, key(), { overrides: { origin: 'https://evil.example' } })
    t.equal(wrongOrigin.statusCode, 400)
    t.equal(wrongOrigin.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')

    const wrongRp = await enroll(user, key(), { overrides: { rpId: 'evil.example' } })
    t.equal(wrongRp.statusCode, 400, 'another RP ID')

    const wrongType = await enroll(user, key(), { overrides: { type: 'webauthn.get' } })
    t.equal(wrongType.statusCode, 400, 'an assertion is not a registration')

    const unknownChallenge = await registerVerify(user, key().register({ challenge: Buffer.alloc(32, 7).toString('base64url') }))
    t.equal(unknownChallenge.statusCode, 400, 'a challenge the server never issued')
    t.equal(await factor.isEnrolled('alice'), false)
  })
})

t.test('a registration challenge is single-use and expires', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const authenticator = key()
    const response = authenticator.register((await registerOptions(user)).json())
    t.equal((await registerVerify(user, response)).statusCode, 200)
    await user.signIn(sessionState(clock, 'alice', true))
    const replay = await registerVerify(user, response)
    t.equal(replay.statusCode, 400, 'the same response again')
    t.equal(replay.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')

    // A user without a factor yet, so the session needs no freshness after the wait.
    const bob = agent(app)
    await bob.signIn(sessionState(clock, 'bob', false))
    const late = key().register((await registerOptions(bob)).json())
    clock.advance(301)
    const expired = await registerVerify(bob, late)
    t.equal(expired.statusCode, 400)
    t.equal(expired.json().code, 'FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED')
  })
})

t.test('a registration challenge belongs to the session that asked for it', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const response = key().register((await registerOptions(user)).json())
    const otherSession = agent(app)
    await otherSession.signIn(sessionState(clock, 'alice', false))
    t.equal((await registerVerify(otherSession, response)).statusCode, 400, 'same user, another session')
    const mallory = agent(app)
    await mallory.signIn(sessionState(clock, 'mallory', false))
    t.equal((await registerVerify(mallory, response)).statusCode, 400, 'another user')
    t.equal((await registerVerify(user, response)).statusCode, 200, 'attempts from other sessions did not spend it')
  })
})

t.test('credential ids are unique across users', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await buildApp(t, store)
    const alice = agent(app)
    await alice.signIn(sessionState(clock, 'alice', false))
    const bob = agent(app)
    await bob.signIn(sessionState(clock, 'bob', false))
    const aliceKey = key()
    t.equal((await enroll(alice, aliceKey)).statusCode, 200)
    const clone = key({ credentialId: aliceKey.credentialId })
    const res = await enroll(bob, clone)
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'FST_MFA_CREDENTIAL_EXISTS')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('bob'), false)
  })
})

t.test('concurrent submissions of one registration: exactly one is stored', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const response = key().register((await registerOptions(user)).json())
    const results = await Promise.all(Array.from({ length: 4 }, async () => await registerVerify(user, response)))
    t.same(results.map((r) => r.statusCode).sort(), [200, 400, 400, 400])
    t.equal((await app.mfa.webauthn!.list('alice')).length, 1)
  })
})
