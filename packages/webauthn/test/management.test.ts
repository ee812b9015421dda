import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { buildApp, nowSec, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { enroll } from './helpers/enroll.js'
import { SoftAuthenticator } from './helpers/softAuthenticator.js'

const key = () => new SoftAuthenticator(ORIGIN, RP_ID)

t.test('removal needs a fresh second factor, bumps the security stamp and is audited', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const authenticator = key()
    t.equal((await enroll(user, authenticator)).statusCode, 200)
    const url = `/mfa/webauthn/credentials/${authenticator.id}`

    // Password only, or a second factor older than freshAge: not enough to remove a factor.
    const stale = await user.inject({ method: 'DELETE', url })
    t.equal(stale.statusCode, 403)
    t.match(stale.json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['webauthn'] })
    await user.signIn(sessionState(clock, 'alice', true))
    clock.advance(301)
    t.equal((await user.inject({ method: 'DELETE', url })).statusCode, 403, 'second factor no longer fresh')
    await user.signIn({ userId: 'alice', aal: 2, amr: ['pwd', 'rmd'], authTime: nowSec(clock) })
    t.equal((await user.inject({ method: 'DELETE', url })).statusCode, 403, 'a remembered device is never fresh')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), true)

    const stampBefore = await app.mfa.users.securityStamp('alice')
    const removed: MfaEvent[] = []
    app.mfa.on('webauthn.removed', (e) => { removed.push(e) })
    await user.signIn(sessionState(clock, 'alice', true))
    const res = await user.inject({ method: 'DELETE', url })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.not(await app.mfa.users.securityStamp('alice'), stampBefore, 'security stamp changed: remembered devices stop working')
    t.match(removed, [{ userId: 'alice', method: 'webauthn', details: { credentialId: authenticator.id } }])
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
    t.equal((await user.inject({ method: 'DELETE', url })).statusCode, 404, 'already gone')
  })
})

t.test("another user's credential is not found", async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await buildApp(t, store)
    const alice = agent(app)
    await alice.signIn(sessionState(clock, 'alice', false))
    const aliceKey = key()
    await enroll(alice, aliceKey)
    const bob = agent(app)
    await bob.signIn(sessionState(clock, 'bob', true))
    const url = `/mfa/webauthn/credentials/${aliceKey.id}`
    const rename = await bob.inject({ method: 'PATCH', url, payload: { name: 'mine now' } })
    t.equal(rename.statusCode, 404)
    t.equal(rename.json().code, 'FST_MFA_NOT_FOUND')
    t.equal((await bob.inject({ method: 'DELETE', url })).statusCode, 404)
    t.same((await bob.inject({ url: '/mfa/webauthn/credentials' })).json(), { credentials: [] })
    const list = (await alice.inject({ url: '/mfa/webauthn/credentials' })).json()
    t.match(list.credentials, [{ id: aliceKey.id, name: 'Security key' }], 'untouched')
  })
})

t.test('sessions that are not signed in get 401; bad input gets 400', async (t) => {
  const { clock, user } = await buildApp(t, 'memory')
  t.equal((await user.inject({ method: 'POST', url: '/mfa/webauthn/register/options', payload: {} })).statusCode, 401, 'no session')
  await user.signIn({ aal: 0, amr: [], pending: { id: 'p', expiresAt: nowSec(clock) + 300, methods: ['webauthn'] } })
  for (const [method, url] of [['POST', '/mfa/webauthn/register/options'], ['GET', '/mfa/webauthn/credentials'], ['DELETE', '/mfa/webauthn/credentials/abc']] as const) {
    const res = await user.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) })
    t.equal(res.statusCode, 401, `${method} ${url} during a pending login`)
    t.equal(res.json().code, 'FST_MFA_UNAUTHENTICATED')
  }

  await user.signIn(sessionState(clock, 'alice', true))
  const bad = [
    { method: 'POST' as const, url: '/mfa/webauthn/register/options', payload: { name: '' } },
    { method: 'POST' as const, url: '/mfa/webauthn/register/options', payload: { name: 'x'.repeat(65) } },
    { method: 'POST' as const, url: '/mfa/webauthn/register/verify', payload: {} },
    { method: 'POST' as const, url: '/mfa/webauthn/register/verify', payload: { response: { id: 'a', rawId: 'a', type: 'password', response: {} } } },
    { method: 'PATCH' as const, url: '/mfa/webauthn/credentials/abc', payload: { name: 'new\nline' } },
    { method: 'PATCH' as const, url: '/mfa/webauthn/credentials/not%20base64url', payload: { name: 'ok' } }
  ]
  for (const request of bad) {
    const res = await user.inject(request)
    t.equal(res.statusCode, 400, `${request.method} ${request.url} ${JSON.stringify(request.payload)}`)
  }
  // fastify-mfa's route scopes refuse unknown properties (Fastify's default would silently drop them).
  const extra = await user.inject({ method: 'POST', url: '/mfa/webauthn/register/options', payload: { name: 'x', admin: true } })
  t.equal(extra.statusCode, 400, 'unknown fields are refused')
  t.equal(extra.json().code, 'FST_ERR_VALIDATION')
  const garbage = await user.inject({ method: 'POST', url: '/mfa/webauthn/register/verify', payload: { response: { id: 'abc', rawId: 'abc', type: 'public-key', response: { clientDataJSON: 'bm9wZQ', attestationObject: 'AA' } } } })
  t.equal(garbage.statusCode, 400)
  t.equal(garbage.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')
})
