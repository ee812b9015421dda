// The passkey settings of the example app (issue 17): RELATED_ORIGINS, SYNCED_PASSKEY_AAL,
// ADMIN_HARDWARE_KEYS and PASSKEY_AUTO_UPGRADE, read from the environment and handed to the plugins,
// and the pages that follow them. The ceremonies are answered by the webauthn tests' software
// authenticator; the browser side is test/e2e/passkeys.test.ts.
import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { FastifyInstance } from 'fastify'
import { SoftAuthenticator, type SoftAuthenticatorOptions } from '../../../packages/webauthn/test/helpers/softAuthenticator.js'
import { loadConfig } from '../src/config.js'
import { ADMIN, ORIGIN, PASSWORD, addKey, addTotp, outbox, signInWithKey, signUp, signUpAdmin, startApp, totpCode, user, verifyEmail, type User } from './helpers.js'

const RELATED = 'https://example.co.uk'

/** Registers a key from the settings routes of the signed-in user (the first factor, or within a fresh check). */
async function register (browser: User, options: SoftAuthenticatorOptions = {}, origin = ORIGIN): Promise<SoftAuthenticator> {
  const key = new SoftAuthenticator(origin, 'localhost', options)
  const challenge = await browser.post('/mfa/webauthn/register/options', {})
  if (challenge.statusCode !== 200) throw new Error(`register options: ${challenge.body}`)
  const verified = await browser.post('/mfa/webauthn/register/verify', { response: key.register(challenge.json()) })
  if (verified.statusCode !== 200) throw new Error(`register verify: ${verified.body}`)
  return key
}

/** "Sign in with a passkey": no login, no password; answers the verify route's reply. */
async function passkeySignIn (browser: User, key: SoftAuthenticator) {
  const challenge = await browser.post('/auth/passkey/options', {})
  // At sign-in the user touches the key and unlocks it, whatever happened when it was created.
  return await browser.post('/auth/passkey/verify', { response: key.authenticate(challenge.json(), { userPresent: true, userVerified: true }) })
}

const session = async (browser: User) => (await browser.get('/auth/session')).json() as { aal: number, amr: string[], userId: string | null }

t.test('the passkey settings are read from the environment', async (t) => {
  const defaults = loadConfig({})
  t.same(defaults.relatedOrigins, [])
  t.equal(defaults.syncedPasskeyAal, 2)
  t.equal(defaults.adminHardwareKeys, false)
  t.equal(defaults.passkeyAutoUpgrade, true)
  t.same(loadConfig({ ORIGIN: 'https://example.org', RELATED_ORIGINS: ' https://example.co.uk, https://example.de/ ,https://example.co.uk,https://example.org' }).relatedOrigins,
    ['https://example.co.uk', 'https://example.de'], 'trimmed, without a trailing slash, once each, ORIGIN left out')
  for (const wrong of ['example.co.uk', 'https://example.co.uk/login', 'ftp://example.co.uk']) {
    t.throws(() => loadConfig({ RELATED_ORIGINS: wrong }), /RELATED_ORIGINS/, wrong)
  }
  t.equal(loadConfig({ SYNCED_PASSKEY_AAL: '3' }).syncedPasskeyAal, 3)
  t.throws(() => loadConfig({ SYNCED_PASSKEY_AAL: '1' }), /SYNCED_PASSKEY_AAL must be 2 or 3/)
  for (const yes of ['1', 'true', 'YES', 'on']) t.equal(loadConfig({ ADMIN_HARDWARE_KEYS: yes }).adminHardwareKeys, true, yes)
  for (const no of ['0', 'false', 'off', '']) t.equal(loadConfig({ ADMIN_HARDWARE_KEYS: no }).adminHardwareKeys, false, no || '(empty)')
  t.throws(() => loadConfig({ ADMIN_HARDWARE_KEYS: 'admins' }), /ADMIN_HARDWARE_KEYS must be 1 or 0/)
  t.equal(loadConfig({ PASSKEY_AUTO_UPGRADE: '0' }).passkeyAutoUpgrade, false)
})

await eachStore(t, async (t, _store, kind) => {
  t.test('RELATED_ORIGINS: listed at /.well-known/webauthn, allowed to call the app, accepted in ceremonies', async (t) => {
    const plain = await startApp(t, kind)
    t.equal((await plain.inject({ url: '/.well-known/webauthn' })).statusCode, 404, 'no related origins, no list')

    const app = await startApp(t, kind, { RELATED_ORIGINS: `${RELATED}, https://example.de` })
    const wellKnown = await app.inject({ url: '/.well-known/webauthn' })
    t.equal(wellKnown.statusCode, 200)
    t.same(wellKnown.json(), { origins: [RELATED, 'https://example.de'] })
    t.match(wellKnown.headers['content-type'], /^application\/json/)
    t.equal(wellKnown.headers['cache-control'], 'public, max-age=86400')
    t.equal(wellKnown.headers['set-cookie'], undefined, 'no session for it')

    const from = async (origin: string, url: string, payload: object) =>
      await app.inject({ method: 'POST', url, headers: { origin }, payload })
    t.equal((await from(RELATED, '/api/signup', { email: 'kim@example.com', password: PASSWORD })).statusCode, 201, 'the app\'s own routes take the related origin')
    t.equal((await from('https://evil.example', '/api/signup', { email: 'eve@example.com', password: PASSWORD })).json().code, 'APP_ORIGIN_REFUSED', 'and no other')
    t.match((await from(RELATED, '/auth/login', { login: 'kim@example.com', password: PASSWORD })).json(), { step: 'complete' }, 'so do the plugins\' routes')
    t.equal((await from('https://evil.example', '/auth/login', { login: 'kim@example.com', password: PASSWORD })).json().code, 'FST_MFA_ORIGIN_REFUSED')

    const kim = user(app)
    await kim.post('/auth/login', { login: 'kim@example.com', password: PASSWORD })
    const key = await register(kim, { deviceType: 'multiDevice' }, RELATED)
    t.pass('a passkey created on the related origin (RP ID localhost) is registered')
    await kim.post('/auth/logout')
    t.equal((await passkeySignIn(kim, key)).statusCode, 200, 'and signs in')
  })

  t.test('a synced passkey gives aal 2 (swk), a device-bound key aal 3 (hwk); SYNCED_PASSKEY_AAL=3 counts synced ones as 3', async (t) => {
    for (const [env, syncedAal] of [[{}, 2], [{ SYNCED_PASSKEY_AAL: '3' }, 3]] as const) {
      const app = await startApp(t, kind, env)
      for (const [email, deviceType, aal, amr] of [
        ['sync@example.com', 'multiDevice', syncedAal, 'swk'],
        ['bound@example.com', 'singleDevice', 3, 'hwk']
      ] as const) {
        const browser = user(app)
        await signUp(browser, email)
        await browser.post('/auth/login', { login: email, password: PASSWORD })
        const key = await register(browser, { deviceType })
        const listed = (await browser.get('/mfa/webauthn/credentials')).json().credentials[0]
        t.equal(listed.backupEligible, deviceType === 'multiDevice', `${email}: the list says whether it is synced`)
        await browser.post('/auth/logout')
        t.match((await passkeySignIn(browser, key)).json(), { step: 'complete', aal }, `${JSON.stringify(env)} ${deviceType}: aal ${aal}`)
        const s = await session(browser)
        t.equal(s.aal, aal)
        t.same(s.amr, [amr, 'user', 'mfa'])
      }
    }
  })

  t.test('ADMIN_HARDWARE_KEYS=1: an admin\'s synced passkey is refused, a device-bound key works', async (t) => {
    const app = await startApp(t, kind, { ADMIN_HARDWARE_KEYS: '1' })
    const admin = user(app)
    await signUpAdmin(admin, app)
    const settings = (await admin.get('/settings/security')).body
    t.match(settings, /<h1 data-enroll-only data-hardware-keys>/, 'the enrol-only page of an admin asks for a device-bound key')
    t.match(settings, /data-hardware-note>Administrators need a security key that stays on one device/)
    const yubiKey = await addKey(admin)
    await admin.post('/auth/logout')
    await signInWithKey(admin, ADMIN, yubiKey)
    t.match(await session(admin), { aal: 3, amr: ['pwd', 'hwk', 'user', 'mfa'] }, 'password and the device-bound key: a full session')
    const synced = await register(admin, { deviceType: 'multiDevice' })
    await admin.post('/auth/logout')

    const refused = await passkeySignIn(admin, synced)
    t.equal(refused.statusCode, 403)
    t.match(refused.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', reason: 'authenticator_not_allowed', amr: ['hwk'] }, 'the synced passkey is refused')
    t.equal((await session(admin)).userId, null, 'and signs nobody in')
    t.match((await passkeySignIn(admin, yubiKey)).json(), { step: 'complete', aal: 3 }, 'the device-bound key signs in')
    const page = await admin.get('/admin')
    t.equal(page.statusCode, 200, 'and opens the admin page')

    const other = user(app)
    await signUp(other, 'dev@example.com')
    await other.post('/auth/login', { login: 'dev@example.com', password: PASSWORD })
    t.notMatch((await other.get('/settings/security')).body, /data-hardware-keys/, 'other users\' pages say nothing of it')
    const theirs = await register(other, { deviceType: 'multiDevice' })
    await other.post('/auth/logout')
    t.match((await passkeySignIn(other, theirs)).json(), { step: 'complete', aal: 2 }, 'and their synced passkeys work')
  })

  t.test('without ADMIN_HARDWARE_KEYS an admin may use a synced passkey', async (t) => {
    const app = await startApp(t, kind)
    const admin = user(app)
    await signUpAdmin(admin, app)
    t.notMatch((await admin.get('/settings/security')).body, /data-hardware-keys/)
    const synced = await register(admin, { deviceType: 'multiDevice' })
    await admin.post('/auth/logout')
    t.match((await passkeySignIn(admin, synced)).json(), { step: 'complete', aal: 2 })
  })

  t.test('the automatic passkey upgrade right after a password and a code; PASSKEY_AUTO_UPGRADE=0 turns it off', async (t) => {
    const app = await startApp(t, kind)
    t.match((await app.inject({ url: '/login' })).body, /<form id="password-form" class="card" data-passkey-upgrade>/, 'the login page tries it')
    const lin = user(app)
    await signUp(lin, 'lin@example.com')
    await verifyEmail(lin, app, 'lin@example.com')
    const { secret, usedAt } = await addTotp(lin)
    await lin.post('/auth/logout')
    await lin.post('/auth/login', { login: 'lin@example.com', password: PASSWORD })
    t.equal((await lin.post('/mfa/webauthn/register/conditional/options', {})).json().code, 'FST_MFA_UNAUTHENTICATED', 'not before the second factor')
    t.match((await lin.post('/auth/login/verify', { method: 'totp', code: totpCode(secret, usedAt + 30_000) })).json(), { step: 'complete', aal: 2 })

    const options = await lin.post('/mfa/webauthn/register/conditional/options', {})
    t.equal(options.statusCode, 200)
    t.match(options.json(), { authenticatorSelection: { residentKey: 'required' }, user: { name: 'lin@example.com' } })
    // A password manager's silent creation: no gesture (UP clear), nobody verified.
    const passkey = new SoftAuthenticator(ORIGIN, 'localhost', { deviceType: 'multiDevice', userPresent: false, userVerified: false, aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4' })
    const created = await lin.post('/mfa/webauthn/register/conditional/verify', { response: passkey.register(options.json()) })
    t.equal(created.statusCode, 200, created.body)
    t.match(created.json().credential, { name: 'Google Password Manager', authenticatorName: 'Google Password Manager', backupEligible: true })

    const events = (await lin.get('/auth/events?limit=10')).json() as Array<{ type: string, details: Record<string, unknown> }>
    t.match(events.find((e) => e.type === 'webauthn.auto_registered'), { details: { name: 'Google Password Manager', backupEligible: true } }, 'the security events say so')
    t.ok(events.some((e) => e.type === 'factor.added'))
    let mail
    for (let i = 0; i < 50 && !mail; i++) {
      mail = (await outbox(app)).find((m) => m.to.includes('lin@example.com') && /A sign-in method was added/.test(m.subject))
      if (!mail) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    t.ok(mail, 'and so does a mail to the verified address')
    t.match(mail?.text, /A second factor was added to your account/)

    const signals = (await lin.get('/mfa/webauthn/signals')).json()
    t.same(signals.allAcceptedCredentials.allAcceptedCredentialIds, [passkey.id], 'the signals name it for the browser')
    t.match(signals.currentUserDetails, { rpId: 'localhost', name: 'lin@example.com', displayName: 'lin@example.com' })
    t.equal(signals.allAcceptedCredentials.userId, passkey.userHandle, 'by the WebAuthn user handle')

    await lin.post('/auth/logout')
    t.match((await passkeySignIn(lin, passkey)).json(), { step: 'complete', aal: 2 }, 'the next sign-in uses it')
    t.equal((await lin.post('/mfa/webauthn/register/conditional/options', {})).json().code, 'FST_MFA_AUTO_UPGRADE_UNAVAILABLE', 'a passkey sign-in opens no upgrade')

    const off = await startApp(t, kind, { PASSKEY_AUTO_UPGRADE: '0' })
    t.notMatch((await off.inject({ url: '/login' })).body, /data-passkey-upgrade/, 'off: the login page does not try')
    const ann = user(off)
    await signUp(ann, 'ann@example.com')
    await ann.post('/auth/login', { login: 'ann@example.com', password: PASSWORD })
    t.equal((await ann.post('/mfa/webauthn/register/conditional/options', {})).statusCode, 404, 'and the routes are gone')
  })

  t.test('the signals answer a session without any key too (the login page asks after every sign-in)', async (t) => {
    const app: FastifyInstance = await startApp(t, kind)
    const neo = user(app)
    await signUp(neo, 'neo@example.com')
    await neo.post('/auth/login', { login: 'neo@example.com', password: PASSWORD })
    const res = await neo.get('/mfa/webauthn/signals')
    t.equal(res.statusCode, 200, res.body)
    t.same(res.json().allAcceptedCredentials.allAcceptedCredentialIds, [])
    t.match(res.json().currentUserDetails, { name: 'neo@example.com' })
    await neo.post('/auth/logout')
    t.equal((await neo.get('/mfa/webauthn/signals')).statusCode, 401, 'signed out: nothing')
  })
})
