import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApp, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { ceremony, enroll, enrolled, login, passkey } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

// WebAuthn Level 3 related origin requests: another site may use this RP ID when the RP lists it at
// https://<rpID>/.well-known/webauthn.

const RELATED = 'https://example.co.uk'

t.test('a related origin is accepted in registration and in every ceremony', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store, { relatedOrigins: [RELATED] })
    await built.user.signIn(sessionState(built.clock, 'alice', false))
    const onRelatedSite = new SoftAuthenticator(RELATED, RP_ID, { deviceType: 'multiDevice' })
    const res = await enroll(built.user, onRelatedSite)
    t.equal(res.statusCode, 200, res.body)
    t.match(await ceremony(built, onRelatedSite, login('alice')), { ok: true, userId: 'alice' }, 'second factor on the related site')
    t.match(await ceremony(built, onRelatedSite, passkey()), { ok: true, userId: 'alice' }, 'passkey sign-in on the related site')
    t.match(await ceremony(built, onRelatedSite, login('alice'), { origin: ORIGIN }), { ok: true }, 'the main origin still works')
    t.same(await ceremony(built, onRelatedSite, login('alice'), { origin: 'https://example.com' }), { ok: false, reason: 'invalid' }, 'an origin not listed')
  })
})

t.test('without relatedOrigins the other site is refused', async (t) => {
  await eachStore(t, async (t, store) => {
    const built = await buildApp(t, store)
    await built.user.signIn(sessionState(built.clock, 'alice', false))
    const res = await enroll(built.user, new SoftAuthenticator(RELATED, RP_ID))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')
    const key = await enrolled(built, 'bob')
    t.same(await ceremony(built, key, login('bob'), { origin: RELATED }), { ok: false, reason: 'invalid' })
  })
})

t.test('GET /.well-known/webauthn lists the related origins: JSON, public, cacheable, at the root, no session', async (t) => {
  const { app } = await buildApp(t, 'memory', { relatedOrigins: [RELATED, 'https://example.de', RELATED], prefix: '/account/mfa' })
  const res = await app.inject({ url: '/.well-known/webauthn' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { origins: [RELATED, 'https://example.de'] })
  t.match(res.headers['content-type'], /^application\/json/)
  t.equal(res.headers['cache-control'], 'public, max-age=86400')
  t.notOk(res.headers['set-cookie'], 'no session cookie')
  t.equal((await app.inject({ url: '/account/mfa/.well-known/webauthn' })).statusCode, 404, 'not under the prefix')
})

t.test('no /.well-known/webauthn without relatedOrigins', async (t) => {
  const { app } = await buildApp(t, 'memory')
  t.equal((await app.inject({ url: '/.well-known/webauthn' })).statusCode, 404)
  const empty = await buildApp(t, 'memory', { relatedOrigins: [] })
  t.equal((await empty.app.inject({ url: '/.well-known/webauthn' })).statusCode, 404)
})
