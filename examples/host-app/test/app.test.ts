import t from 'tap'
import { agent, eachStore, until } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

await eachStore(t, async (t, store) => {
  const app = await buildApp(loadConfig({ ADMIN_EMAILS: 'root@example.com', PORT: '3999' }),
    { store: store === 'memory' ? createMemoryStore() : createMongoStore(store), logger: false })
  t.teardown(() => app.close())
  await app.ready()
  const browser = agent(app)

  t.test('health check answers without a session', async (t) => {
    const res = await app.inject({ url: '/healthz' })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['set-cookie'], undefined)
  })

  t.test('sign up, sign in with the password, see the pages', async (t) => {
    const signup = await browser.inject({ method: 'POST', url: '/api/signup', payload: { email: 'Root@example.com', password: 'password123' } })
    t.equal(signup.statusCode, 201)
    const again = await browser.inject({ method: 'POST', url: '/api/signup', payload: { email: 'root@example.com', password: 'password456' } })
    t.equal(again.json().code, 'APP_EMAIL_TAKEN')
    t.equal((await browser.inject({ method: 'POST', url: '/api/signup', payload: { email: 'nope', password: 'x' } })).statusCode, 400)
    t.equal((await browser.inject({ url: '/settings/security' })).statusCode, 302, 'settings need a session')
    const login = await browser.inject({ method: 'POST', url: '/auth/login', payload: { login: 'root@example.com', password: 'password123' } })
    t.match(login.json(), { step: 'complete' })
    const security = await browser.inject({ url: '/settings/security' })
    t.equal(security.statusCode, 200)
    t.match(security.body, /Authenticator app/)
    const unverified = await browser.inject({ url: '/admin' })
    t.equal(unverified.statusCode, 403, 'an ADMIN_EMAILS address is no admin before it is verified')
    t.match(unverified.body, /Only administrators can open this page/)
    t.match(unverified.body, /id="verify-email"/, 'the page asks to verify the address')
    const mail = (await app.inject({ url: '/dev/mail.json' })).json()
      .find((m: { to: string[], subject: string }) => m.to.includes('root@example.com') && m.subject.startsWith('Verify'))
    const verified = await browser.inject({ method: 'POST', url: '/api/verify-email', payload: { code: mail.text.match(/\b\d{6}\b/)[0] } })
    t.match(verified.json(), { verified: true, roles: ['admin'], signedOut: true }, 'verified: an admin now, and signed out')
    t.match((await browser.inject({ method: 'POST', url: '/auth/login', payload: { login: 'root@example.com', password: 'password123' } })).json(),
      { step: 'complete', enrollmentRequired: true }, 'the next sign-in applies the admin policy: enrol a security key')
    const admin = await browser.inject({ url: '/admin' })
    t.equal(admin.statusCode, 403, 'an admin without a fresh security key is refused')
    t.notMatch(admin.body, /id="verify-email"/, 'no verification banner once verified')
    t.match(admin.body, /security key/)
    t.match(admin.body, /You have no security key or passkey yet: <a href="\/settings\/security#keys">/, 'without a key: sent to add one')
    t.notMatch(admin.body, /admin-step-up/, 'no verify button that could not work')
  })

  t.test('static assets are served, including the WebAuthn browser bundle', async (t) => {
    for (const file of ['app.js', 'style.css', 'webauthn.js']) t.equal((await app.inject({ url: `/assets/${file}` })).statusCode, 200, file)
    t.equal((await app.inject({ url: '/assets/../package.json' })).statusCode, 404)
  })
})

t.test('expired sessions and tombstones are deleted, not only ignored', async (t) => {
  await eachStore(t, async (t, store) => {
    const db = store === 'memory' ? createMemoryStore() : createMongoStore(store)
    let skew = 0 // core's clock, moved past the sweep interval below
    const app = await buildApp(loadConfig({ PORT: '3999' }), { store: db, logger: false, now: () => Date.now() + skew })
    t.teardown(() => app.close())
    await app.ready()
    const sessions = db.collection<{ _id: string, expiresAt: Date }>('sessions')
    await sessions.insertOne({ _id: 'long-gone', expiresAt: new Date(Date.now() - 1000) })
    // Where the store has no TTL index, core's sweep runs after audit events are written, once a minute.
    skew = 61_000
    await app.inject({ method: 'POST', url: '/auth/login', payload: { login: 'nobody@example.com', password: 'wrong' } })
    await until(async () => await sessions.findOne({ _id: 'long-gone' }) === null)
    t.equal(await sessions.findOne({ _id: 'long-gone' }), null)
  })
})

t.test('configuration errors name the variable', async (t) => {
  t.throws(() => loadConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET/)
  t.throws(() => loadConfig({ MFA_ENCRYPTION_KEY: 'abc' }), /MFA_ENCRYPTION_KEY/)
  t.throws(() => loadConfig({ MFA_MODE: 'sometimes' }), /MFA_MODE/)
  t.match(loadConfig({}).warnings, [/SESSION_SECRET/, /MFA_ENCRYPTION_KEY/])
})
