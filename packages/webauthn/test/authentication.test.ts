import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApp, ORIGIN, RP_ID } from './helpers/app.js'
import { ceremonyOptions, ceremonyVerify } from './helpers/ceremonies.js'
import { ceremony, enrolled, login } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

const key = () => new SoftAuthenticator(ORIGIN, RP_ID)

t.test('register -> second factor -> step-up, round trips', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice')
    const options = (await ceremonyOptions(built.user, login('alice'))).json()
    t.same(options.allowCredentials, [{ id: authenticator.id, type: 'public-key', transports: ['usb'] }], 'allowCredentials: the user\'s keys')
    t.match(options, { rpId: RP_ID, userVerification: 'preferred', timeout: 60000 })
    const result = await ceremonyVerify(built.user, login('alice'), authenticator.authenticate(options))
    t.same(result, { ok: true, userId: 'alice', amr: ['hwk', 'user'], aal: 3 })

    built.clock.advance(60)
    t.same(await ceremony(built, authenticator, { purpose: 'step-up', binding: 'session-1', userId: 'alice' }), { ok: true, userId: 'alice', amr: ['hwk', 'user'], aal: 3 })
    const list = (await built.app.mfa.webauthn!.list('alice'))
    t.equal(list[0]!.lastUsedAt, new Date(built.clock.ms).toISOString(), 'lastUsedAt recorded')
  })
})

t.test('a second factor without user verification still counts as phishing-resistant after a password', async (t) => {
  const built = await buildApp(t, 'memory')
  const authenticator = await enrolled(built, 'alice', { userVerified: false })
  t.same(await ceremony(built, authenticator, login('alice')), { ok: true, userId: 'alice', amr: ['hwk'], aal: 3 })
})

t.test('wrong origin, RP ID or ceremony type is refused', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice')
    t.same(await ceremony(built, authenticator, login('alice'), { origin: 'https://examp1e.org' }), { ok: false, reason: 'invalid' }, 'phishing origin')
    t.same(await ceremony(built, authenticator, login('alice'), { rpId: 'examp1e.org' }), { ok: false, reason: 'invalid' }, 'another RP ID')
    t.same(await ceremony(built, authenticator, login('alice'), { type: 'webauthn.create' }), { ok: false, reason: 'invalid' }, 'not an assertion')
    t.same(await ceremony(built, authenticator, login('alice')), { ok: true, userId: 'alice', amr: ['hwk', 'user'], aal: 3 })
  })
})

t.test('several origins may be allowed', async (t) => {
  const built = await buildApp(t, 'memory', { origins: ['https://example.org', 'https://app.example.org'] })
  const authenticator = await enrolled(built, 'alice')
  t.match(await ceremony(built, authenticator, login('alice'), { origin: 'https://app.example.org' }), { ok: true })
})

t.test("another user's credential is refused", async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    await enrolled(built, 'alice')
    const bobsKey = await enrolled(built, 'bob')
    // Bob's key answering a challenge issued for Alice's pending login.
    t.same(await ceremony(built, bobsKey, login('alice')), { ok: false, reason: 'invalid' })
    const unknown = key()
    unknown.userHandle = null
    t.same(await ceremony(built, unknown, login('alice')), { ok: false, reason: 'invalid' }, 'an unregistered credential')
  })
})

t.test('a challenge is single-use, bound to its ceremony, and expires', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const { user, clock } = built
    const authenticator = await enrolled(built, 'alice')

    const options = (await ceremonyOptions(user, login('alice'))).json()
    const response = authenticator.authenticate(options)
    t.match(await ceremonyVerify(user, login('alice'), response), { ok: true })
    t.same(await ceremonyVerify(user, login('alice'), response), { ok: false, reason: 'invalid' }, 'replayed response')

    const other = (await ceremonyOptions(user, login('alice', 'pending-A'))).json()
    const answer = authenticator.authenticate(other)
    t.same(await ceremonyVerify(user, login('alice', 'pending-B'), answer), { ok: false, reason: 'invalid' }, 'another pending login')
    t.same(await ceremonyVerify(user, { purpose: 'step-up', binding: 'pending-A', userId: 'alice' }, answer), { ok: false, reason: 'invalid' }, 'another purpose')
    t.match(await ceremonyVerify(user, login('alice', 'pending-A'), answer), { ok: true }, 'wrong-binding attempts did not spend it')

    // A failed verification spends the challenge too: no second try with the same one.
    const once = (await ceremonyOptions(user, login('alice'))).json()
    t.same(await ceremonyVerify(user, login('alice'), authenticator.authenticate(once, { origin: 'https://evil.example' })), { ok: false, reason: 'invalid' })
    t.same(await ceremonyVerify(user, login('alice'), authenticator.authenticate(once)), { ok: false, reason: 'invalid' }, 'spent by the failed attempt')

    const slow = (await ceremonyOptions(user, login('alice'))).json()
    clock.advance(299)
    t.match(await ceremonyVerify(user, login('alice'), authenticator.authenticate(slow)), { ok: true }, 'still valid just before challengeTtl')
    const late = (await ceremonyOptions(user, login('alice'))).json()
    clock.advance(300)
    t.same(await ceremonyVerify(user, login('alice'), authenticator.authenticate(late)), { ok: false, reason: 'expired' }, 'expired after challengeTtl')
  })
})

t.test('a challenge is bound to the user it was issued for', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const { user } = built
    await enrolled(built, 'alice')
    const bobsKey = await enrolled(built, 'bob')
    // A challenge issued for Alice, answered by Bob's own key and verified as Bob under the same binding.
    const forAlice = (await ceremonyOptions(user, login('alice', 'shared-binding'))).json()
    t.same(await ceremonyVerify(user, login('bob', 'shared-binding'), bobsKey.authenticate(forAlice)), { ok: false, reason: 'invalid' }, 'not a challenge of Bob')
    const forBob = (await ceremonyOptions(user, login('bob', 'shared-binding'))).json()
    t.match(await ceremonyVerify(user, login('bob', 'shared-binding'), bobsKey.authenticate(forBob)), { ok: true, userId: 'bob' }, 'his own challenge works')
  })
})

t.test("userVerification: 'required' refuses assertions without UV", async (t) => {
  const built = await buildApp(t, 'memory', { userVerification: 'required' })
  const authenticator = await enrolled(built, 'alice')
  t.same(await ceremony(built, authenticator, login('alice'), { userVerified: false }), { ok: false, reason: 'invalid' })
  t.match(await ceremony(built, authenticator, login('alice')), { ok: true })
})

t.test('options for a user without credentials, and mismatched calls', async (t) => {
  const built = await buildApp(t, 'memory')
  const res = await ceremonyOptions(built.user, login('nobody'))
  t.equal(res.json().code, 'FST_MFA_NOT_ENROLLED')
  const factor = built.app.mfa.factors.get('webauthn')!
  t.match(factor, { id: 'webauthn', amr: 'hwk', kind: 'ceremony', phishingResistant: true })
  await t.rejects(factor.challenge!('alice', { purpose: 'passkey', binding: 'b', request: {} as never }), TypeError)
  t.same(await ceremonyVerify(built.user, login('alice'), { not: 'a credential' }), { ok: false, reason: 'invalid' })
})

t.test('factor.remove (admin reset) removes every credential; stats count users', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    await enrolled(built, 'alice')
    await enrolled(built, 'alice')
    await enrolled(built, 'bob')
    t.same((await built.app.mfa.stats()).byMethod, { webauthn: 2 })
    await built.app.mfa.factors.get('webauthn')!.remove('alice')
    t.equal(await built.app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
    t.same(await built.app.mfa.factors.get('webauthn')!.enrolledUserIds(), ['bob'])
  })
})

t.test('concurrent answers to one challenge: exactly one is verified', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    const authenticator = await enrolled(built, 'alice', { counts: false })
    const options = (await ceremonyOptions(built.user, login('alice'))).json()
    const response = authenticator.authenticate(options)
    const results = await Promise.all(Array.from({ length: 5 }, async () => await ceremonyVerify(built.user, login('alice'), response)))
    t.equal(results.filter((r) => r.ok === true).length, 1, JSON.stringify(results))
  })
})
