// Passkeys ahead of the rest (issue 17) in a real browser: the automatic passkey upgrade after a
// password and a code, the WebAuthn Signal API keeping the browser's passkeys in step with the
// account, synced passkeys (aal 2) and device-bound keys (aal 3), admins held to hardware keys
// (ADMIN_HARDWARE_KEYS=1), and related origins (RELATED_ORIGINS). Chromium's CDP virtual
// authenticators stand in for the password manager (internal, backup-eligible) and a USB security key
// (device-bound). Chromium 156 has the Signal API and its virtual authenticators act on it; its
// conditional create goes to Google Password Manager only, so the test plays the password manager for
// that one call (see PasswordManager in helpers.ts).
import t from 'tap'
import type { Page } from 'playwright-core'
import {
  AuthenticatorApp, clickSignInWithPasskey, enrolTotp, finishSigningInWithKey, launchBrowser, mailTo, newUserAgent, setPasswordManager, signInWithCode,
  shot, signOut, signUp, signUpAdmin, startApp, TestClock, text, verifyEmail, type PageCall
} from './helpers.js'

const password = 'correct horse battery staple'
const email = 'mia@example.com'
const adminEmail = 'chief@example.com'
const related = ['https://example.co.uk', 'https://example.de']
// The login page's wait for the password manager (UPGRADE_WAIT_MS in public/app.js).
const upgradeWait = 3000

const clock = new TestClock()
const baseURL = await startApp(t, {
  ADMIN_EMAILS: adminEmail, ADMIN_HARDWARE_KEYS: '1', RELATED_ORIGINS: related.join(','), AUTH_RATE_LIMIT: '300'
}, { clock })
const browser = await launchBrowser(t)

// The user's laptop: its password manager keeps synced passkeys (backup-eligible) ...
const laptop = await newUserAgent(browser, baseURL, {}, { authenticator: { transport: 'internal', backupEligible: true }, passwordManager: 'chromium' })
// ... and their desktop, with a USB security key (device-bound).
const desktop = await newUserAgent(browser, baseURL, {}, { authenticator: { transport: 'usb', backupEligible: false } })

const called = (calls: PageCall[], name: string): PageCall[] => calls.filter((c) => c.name === name)
const session = async (page: Page) => await (await page.request.get('/auth/session')).json() as { aal: number, amr: string[], userId: string | null }

let phone!: AuthenticatorApp
let passkeyId!: string

t.test('after a password and a code the password manager saves a passkey without a dialog, and the next sign-in uses it', async (t) => {
  const { page, authenticator, calls } = laptop
  await signUp(page, email, password)
  await verifyEmail(page, baseURL, email)
  await page.locator('#verify-email').waitFor({ state: 'detached' })
  ;({ phone } = await enrolTotp(t, page, clock))
  await signOut(page)

  await t.test('a browser that never answers the upgrade does not hold the sign-in up', async (t) => {
    const started = Date.now()
    t.equal(await signInWithCode(page, email, password, phone), '/')
    const took = Date.now() - started
    t.equal(called(calls, 'conditionalCreate').length, 1, 'the login page asked for a conditional create')
    t.ok(took < upgradeWait + 3000, `went on after the short wait (${took} ms)`)
    t.equal((await authenticator.credentials()).length, 0, 'Chromium sent it to no authenticator here: no passkey')
    t.equal(await page.locator('#flash').count(), 0, 'and nothing is said of one')
    await signOut(page)
  })

  await t.test('the password manager saves one: no dialog, no gesture', async (t) => {
    await setPasswordManager(page, 'saves')
    await authenticator.silentCreation(true)
    t.equal(await signInWithCode(page, email, password, phone), '/')
    await authenticator.silentCreation(false)
    const created = called(calls, 'conditionalCreated')
    t.equal(created.length, 1, 'startRegistration({ useAutoRegister: true }) made a conditional create, answered by the password manager')
    t.equal(created[0]!.arg.flags & 0x01, 0, 'user presence clear: created without a touch')
    const stored = await authenticator.credentials()
    t.equal(stored.length, 1, 'the password manager holds the passkey')
    t.ok(stored[0]!.isResidentCredential, 'a discoverable credential')
    t.equal(stored[0]!.backupEligibility, true, 'backup-eligible: a synced passkey')
    passkeyId = (await authenticator.credentialIds())[0]!
    t.equal(created[0]!.arg.id, passkeyId)
    await page.locator('#flash', { hasText: 'Your password manager saved a passkey for this account' }).waitFor()
    t.pass('the next page says so')
    await shot(page, 'passkey-saved-at-sign-in')

    // After the upgrade, then the sign-in's signals: the new passkey is one the account accepts.
    const accepted = called(calls, 'signalAllAcceptedCredentials').at(-1)!.arg
    t.same(accepted.allAcceptedCredentialIds, [passkeyId], 'the signal after the sign-in lists it')
    t.match(called(calls, 'signalCurrentUserDetails').at(-1)!.arg, { rpId: 'localhost', userId: accepted.userId, name: email, displayName: email })
    t.same(await authenticator.credentialIds(), [passkeyId], 'so the browser keeps it')
  })

  await t.test('the settings page lists it as a synced passkey; the events and a mail tell the user', async (t) => {
    await page.goto('/settings/security')
    const key = page.locator(`#keys [data-list] li[data-id="${passkeyId}"]`)
    await key.waitFor()
    t.equal(await key.getAttribute('data-kind'), 'synced')
    t.match((await key.innerText()).replace(/\s+/g, ' '), /^Passkey Synced passkey added /)
    const event = page.locator('#events [data-list] li[data-type="webauthn.auto_registered"]')
    await event.waitFor()
    t.match((await event.innerText()).replace(/\s+/g, ' '), /^Passkey saved by your password manager at sign-in \(“Passkey”\)/)
    const mail = await mailTo(baseURL, email, /A sign-in method was added/)
    t.match(mail.text, /A second factor was added to your account/, 'the notification mail (sent-codes\' factor_added)')
    await signOut(page)
  })

  await t.test('"Sign in with a passkey" uses it: a synced passkey gives aal 2', async (t) => {
    await clickSignInWithPasskey(page, calls, authenticator)
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /Signed in as mia@example\.com · assurance level 2 \(swk, user, mfa\)/)
    t.match(await session(page), { aal: 2, amr: ['swk', 'user', 'mfa'] }, '/auth/session says so too')
    t.equal(called(calls, 'conditionalCreate').length, 2, 'a passkey sign-in asks for no upgrade')
  })
})

t.test('a device-bound key gives aal 3; a key removed on the settings page is signalled to the browser', async (t) => {
  const { page, authenticator, calls } = desktop
  let yubiKeyId!: string

  await t.test('on another computer the password and a code sign in; the user has a passkey, so no upgrade is tried', async (t) => {
    clock.advance(30) // the next TOTP step: three codes were used in this one
    t.equal(await signInWithCode(page, email, password, phone), '/')
    t.equal(called(calls, 'conditionalCreate').length, 0, 'no conditional create')
    t.same(called(calls, 'signalAllAcceptedCredentials').at(-1)!.arg.allAcceptedCredentialIds, [passkeyId], 'the sign-in signals the accepted passkeys')
  })

  await t.test('a USB security key added here is "This device only" and signs in at aal 3', async (t) => {
    await page.goto('/settings/security')
    await page.fill('#key-add [name=name]', 'YubiKey')
    await page.click('#key-add button[type=submit]')
    const key = page.locator('#keys [data-list] li', { hasText: 'YubiKey' })
    await key.waitFor()
    t.equal(await key.getAttribute('data-kind'), 'device-bound')
    t.match(await key.innerText(), /This device only/)
    yubiKeyId = (await authenticator.credentialIds())[0]!
    t.equal((await authenticator.credentials())[0]!.backupEligibility, false, 'not backup-eligible')

    // The list names the model when the AAGUID is a known one. Chromium's virtual authenticators send
    // none the `aaguids` list knows, so the server's answer is given one here.
    await page.route('**/mfa/webauthn/credentials', async (route) => {
      const listed = await (await route.fetch()).json() as { credentials: Array<{ id: string, authenticatorName: string | null }> }
      for (const c of listed.credentials) if (c.id === yubiKeyId) c.authenticatorName = 'YubiKey 5 Series'
      await route.fulfill({ json: listed })
    })
    await page.reload()
    await page.locator(`#keys li[data-id="${yubiKeyId}"] [data-model]`, { hasText: 'YubiKey 5 Series' }).waitFor()
    t.pass('"YubiKey 5 Series" beside the name the user gave')
    await shot(page, 'keys-synced-and-device-bound')
    await page.unroute('**/mfa/webauthn/credentials')
    await signOut(page)

    await clickSignInWithPasskey(page, calls, authenticator)
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /assurance level 3 \(hwk, user, mfa\)/)
    t.match(await session(page), { aal: 3, amr: ['hwk', 'user', 'mfa'] })
  })

  await t.test('removing the synced passkey here signals the keys that remain', async (t) => {
    await page.goto('/settings/security')
    const key = page.locator(`#keys [data-list] li[data-id="${passkeyId}"]`)
    await key.waitFor()
    const before = called(calls, 'signalAllAcceptedCredentials').length
    page.once('dialog', (d) => { void d.accept() })
    await key.locator('[data-action=remove-key]').click()
    await page.locator('#toast', { hasText: 'Key removed' }).waitFor()
    await key.waitFor({ state: 'detached' })
    const signals = called(calls, 'signalAllAcceptedCredentials').slice(before)
    t.equal(signals.length, 1, 'PublicKeyCredential.signalAllAcceptedCredentials was called')
    t.match(signals[0]!.arg, { rpId: 'localhost', allAcceptedCredentialIds: [yubiKeyId] }, 'with the ids that remain')
    t.same(await authenticator.credentialIds(), [yubiKeyId], 'the security key here keeps its credential')
  })

  await t.test('the laptop still offers the removed passkey: the refusal tells its browser to forget it', async (t) => {
    const { page, authenticator, calls } = laptop
    await signOut(page)
    await clickSignInWithPasskey(page, calls, authenticator)
    await page.locator('#password-form [data-error]', { hasText: 'That passkey is not registered here any more' }).waitFor()
    t.equal(new URL(page.url()).pathname, '/login', 'not signed in')
    t.match(called(calls, 'signalUnknownCredential').at(-1)?.arg, { rpId: 'localhost', credentialId: passkeyId }, 'signalUnknownCredential with the passkey\'s id')
    t.same(await authenticator.credentials(), [], 'the password manager no longer holds it')
  })
})

t.test('ADMIN_HARDWARE_KEYS=1: an admin\'s synced passkey is refused, a device-bound key works', async (t) => {
  const { page, calls, authenticator: yubiKey } = await newUserAgent(browser, baseURL, {}, { authenticator: { transport: 'usb', backupEligible: false } })

  await t.test('the new admin is asked for a key that stays on one device, adds one and finishes signing in', async (t) => {
    await signUpAdmin(t, page, baseURL, adminEmail, password)
    await page.locator('#nudge', { hasText: 'Your account needs a security key that stays on one device' }).waitFor()
    await shot(page, 'admin-hardware-keys-enrol')
    t.match(await text(page, '#keys [data-hardware-note]'), /a passkey synced between devices does not count/)
    await page.fill('#key-add [name=name]', 'YubiKey')
    await page.click('#key-add button[type=submit]')
    await page.locator('#keys [data-list] li[data-kind=device-bound]', { hasText: 'YubiKey' }).waitFor()
    await finishSigningInWithKey(page)
    t.notOk(await page.locator('h1[data-enroll-only]').count(), 'the full settings page')
  })

  const phonePasskey = await yubiKey.another({ transport: 'internal', backupEligible: true })
  await t.test('a synced passkey added beside it is listed as one', async (t) => {
    await yubiKey.userPresent(false) // the phone's password manager answers this time
    await page.fill('#key-add [name=name]', 'Phone')
    await page.click('#key-add button[type=submit]')
    await page.locator('#keys [data-list] li[data-kind=synced]', { hasText: 'Phone' }).waitFor()
    t.equal((await phonePasskey.credentials()).length, 1)
    await signOut(page)
  })

  await t.test('signing in with the synced passkey is refused', async (t) => {
    await yubiKey.userPresent(false)
    await clickSignInWithPasskey(page, calls, phonePasskey)
    await page.locator('#password-form [data-error]', { hasText: /\S/ }).waitFor()
    t.equal(await text(page, '#password-form [data-error]'),
      'Your account must use a security key that stays on one device, such as a USB key: a passkey synced between devices does not count.')
    t.equal((await session(page)).userId, null, 'nobody is signed in')
    await shot(page, 'admin-synced-passkey-refused')
  })

  await t.test('the device-bound key signs in (aal 3) and opens the admin page', async (t) => {
    await phonePasskey.userPresent(false)
    await clickSignInWithPasskey(page, calls, yubiKey)
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /Signed in as chief@example\.com · assurance level 3 \(hwk, user, mfa\)/)
    await page.goto('/admin')
    await page.locator('h2', { hasText: 'MFA adoption' }).waitFor()
    t.pass('the admin page opens')
  })
})

t.test('/.well-known/webauthn lists the related origins', async (t) => {
  const { page } = laptop
  const res = await page.request.get('/.well-known/webauthn')
  t.equal(res.status(), 200)
  t.match(res.headers()['content-type'], /^application\/json/)
  t.equal(res.headers()['cache-control'], 'public, max-age=86400')
  t.same(await res.json(), { origins: related })
  t.same(await page.evaluate(async () => await (await fetch('/.well-known/webauthn')).json()), { origins: related }, 'as the browser reads it')
})
