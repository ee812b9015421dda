// One person on two devices (two browser profiles) against one running app: the "Signed-in
// sessions" card, signing a device out from the other, a password change that ends the other
// session, and a support reset by an admin (a third profile, with a passkey) that ends the last one.
import t, { type Test } from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import {
  type AuthenticatorApp, enrolTotp, enterPassword, finishSigningInWithKey, launchBrowser, newUserAgent, shot,
  signInWithCode, signOut, signUp, signUpAdmin, startApp, startOtherSite, TestClock, text
} from './helpers.js'

const email = 'grace@example.com'
const oldPassword = 'correct horse battery staple'
const newPassword = 'tr0ub4dor & 3, but longer'
const adminEmail = 'support@example.com'
const reason = 'ticket #4821: lost phone, identity checked by video call'
const freshAge = 300 // MFA_FRESH_AGE's default, which the app runs with here
// Device A names itself a phone, so the sessions list tells the two devices apart.
const phoneUserAgent = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'

// The app's clock: moved past MFA_FRESH_AGE instead of waiting five minutes.
const clock = new TestClock()
// Three profiles sign in from 127.0.0.1 within a minute, more than the /auth routes allow one
// address by default (30); the per-account limits stay as they are.
const baseURL = await startApp(t, { ADMIN_EMAILS: adminEmail, AUTH_RATE_LIMIT: '300' }, { clock })
const browser = await launchBrowser(t)
// A page of another site that frames the settings page (clickjacking).
const otherSite = await startOtherSite(t, `<!doctype html><h1>Win a prize</h1><iframe src="${baseURL}/settings/security" width="800" height="600"></iframe>`)

const a = await newUserAgent(browser, baseURL, { userAgent: phoneUserAgent })
const b = await newUserAgent(browser, baseURL)
// Neither profile touches its authenticator: the login page's passkey autofill stays pending.
await a.authenticator.userPresent(false)
await b.authenticator.userPresent(false)

/** The rows of the sessions card, once it shows `count` of them. */
async function sessionRows (page: Page, count: number): Promise<Array<{ text: string, current: boolean, signOut: boolean }>> {
  const rows = page.locator('#sessions [data-list] li[data-id]')
  await page.waitForFunction((n) => document.querySelectorAll('#sessions [data-list] li[data-id]').length === n, count)
  return await rows.evaluateAll((items) => items.map((li) => ({
    text: (li.textContent ?? '').replace(/\s+/g, ' ').trim(),
    current: (li as HTMLElement).dataset.current !== undefined,
    signOut: li.querySelector('[data-action=end-session]') !== null
  })))
}

/** A page load of a signed-out browser: the settings send it to the sign-in page. */
async function assertSignedOut (t: Test, page: Page, message: string): Promise<void> {
  await page.goto('/settings/security')
  t.equal(new URL(page.url()).pathname, '/login', message)
  t.ok(await page.locator('header a[href="/login"]').isVisible(), 'the signed-out navigation')
}

/** The app's answer to a state-changing request that carries the browser's cookies but comes from `otherSite`. */
async function fromOtherSite (context: BrowserContext, method: 'POST' | 'DELETE', path: string, data?: object) {
  const res = await context.request.fetch(`${baseURL}${path}`, {
    method, headers: { origin: otherSite, 'sec-fetch-site': 'cross-site' }, ...(data ? { data } : {}), failOnStatusCode: false
  })
  return { status: res.status(), code: ((await res.json().catch(() => null)) as { code?: string } | null)?.code }
}

let phone!: AuthenticatorApp

t.test('a user on two devices', async (t) => {
  await t.test('signs up on device A and turns on the authenticator app', async (t) => {
    await signUp(a.page, email, oldPassword)
    ;({ phone } = await enrolTotp(t, a.page, clock))
    await signOut(a.page)
  })

  await t.test('signs in on both devices with the password and a code from the app', async (t) => {
    t.equal(await signInWithCode(a.page, email, oldPassword, phone), '/')
    t.match(await text(a.page, 'main'), /Signed in as grace@example\.com · assurance level 2/, 'device A')
    t.equal(await signInWithCode(b.page, email, oldPassword, phone), '/')
    t.match(await text(b.page, 'main'), /Signed in as grace@example\.com · assurance level 2/, 'device B')
  })

  await t.test('device B lists both sessions, "this browser" on its own', async (t) => {
    await b.page.goto('/settings/security')
    const rows = await sessionRows(b.page, 2)
    await shot(b.page, 'sessions-two-devices')
    t.equal(rows.filter((r) => r.current).length, 1, 'one row is this browser')
    const [mine, other] = [rows.find((r) => r.current)!, rows.find((r) => !r.current)!]
    t.match(mine.text, /^Chrome Headless on Linux this browser/, 'this browser, by its user agent')
    t.notOk(mine.signOut, 'no "Sign out" on this browser')
    t.match(other.text, /^Mobile Chrome on Android\b/, 'the other device, by its user agent')
    t.notMatch(other.text, /this browser/)
    t.match(other.text, /127\.0\.0\.1 · signed in .+ · last seen /, 'with its address and times')
    t.ok(other.signOut, 'a "Sign out" button on the other')
    t.ok(await b.page.locator('#sessions [data-action=end-other-sessions]').isVisible(), '"Sign out all other sessions"')

    await a.page.goto('/settings/security')
    const seenFromA = await sessionRows(a.page, 2)
    t.match(seenFromA.find((r) => r.current)?.text, /^Mobile Chrome on Android this browser/, 'device A sees itself as this browser')
  })

  await t.test('another site can neither frame the pages nor sign sessions out with the cookies', async (t) => {
    const res = await b.page.goto('/settings/security')
    const headers = res!.headers()
    t.match(headers['content-security-policy'], /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, "CSP frame-ancestors 'none'")
    t.equal(headers['x-frame-options'], 'DENY')

    // On a page of another site, the browser refuses to show the app's page in a frame.
    const refused = b.page.waitForEvent('requestfailed', (r) => r.url().startsWith(baseURL) && r.frame() !== b.page.mainFrame())
    await b.page.goto(`${otherSite}/prize`)
    t.equal((await refused).failure()?.errorText, 'net::ERR_BLOCKED_BY_RESPONSE', 'the framed page is blocked by its response headers')
    const frame = b.page.frames().find((f) => f !== b.page.mainFrame())!
    await frame.waitForURL((url) => url.protocol === 'chrome-error:')
    t.equal(await frame.locator('header, main, form').count(), 0, 'the frame shows nothing of the app')
    await shot(b.page, 'framed-by-another-site')

    t.same(await fromOtherSite(b.context, 'DELETE', '/mfa/sessions'), { status: 403, code: 'FST_MFA_ORIGIN_REFUSED' }, 'DELETE /mfa/sessions from another origin')
    t.same(await fromOtherSite(b.context, 'POST', '/api/password', { currentPassword: oldPassword, newPassword: 'hijacked password' }),
      { status: 403, code: 'APP_ORIGIN_REFUSED' }, 'POST /api/password from another origin')
    await b.page.goto('/settings/security')
    await sessionRows(b.page, 2)
    t.pass('both sessions are still there')
  })

  await t.test('B signs A out; A\'s next page load is signed out', async (t) => {
    await b.page.goto('/settings/security')
    await sessionRows(b.page, 2)
    await b.page.locator('#sessions [data-list] li:not([data-current])').locator('[data-action=end-session]').click()
    await b.page.locator('#toast', { hasText: 'That session is signed out' }).waitFor()
    const rows = await sessionRows(b.page, 1)
    t.ok(rows[0]!.current, 'only this browser is left')
    t.ok(await b.page.locator('#sessions [data-action=end-other-sessions]').isHidden(), 'no "Sign out all other sessions" now')

    // A still shows the settings page it had open; the next load finds the session gone.
    await assertSignedOut(t, a.page, 'device A is sent to the sign-in page')
    await a.page.goto('/')
    t.match(await text(a.page, 'main'), /An app that already exists/, 'the home page of a signed-out visitor')
  })

  await t.test('A signs in again; B\'s password change asks for a fresh code, signs A out and keeps B', async (t) => {
    // Time passes: B's second factor is no longer fresh, and the app shows new codes.
    clock.advance(freshAge + 30)
    t.equal(await signInWithCode(a.page, email, oldPassword, phone), '/')
    t.match(await text(a.page, 'main'), /Signed in as grace@example\.com/)

    await b.page.goto('/settings/security')
    await sessionRows(b.page, 2)
    await b.page.fill('#password-change [name=currentPassword]', oldPassword)
    await b.page.fill('#password-change [name=newPassword]', newPassword)
    await b.page.click('#password-change button[type=submit]')
    const dialog = b.page.locator('#step-up')
    await dialog.waitFor({ state: 'visible' })
    t.match(await text(b.page, '#step-up'), /This change needs a recent second factor/, 'the step-up dialog asks for a code')
    t.ok(await dialog.locator('[data-action=step-up-key]').isHidden(), 'no security-key button: the user has none')
    await shot(b.page, 'password-step-up')
    await dialog.locator('[name=code]').fill(phone.nextCode())
    await dialog.locator('button[type=submit]').click()
    await b.page.locator('#toast', { hasText: 'Password changed. Every other session is signed out.' }).waitFor()
    t.ok(await dialog.isHidden(), 'the dialog closed')
    t.equal(await b.page.inputValue('#password-change [name=currentPassword]'), '', 'the form is cleared')
    const rows = await sessionRows(b.page, 1)
    t.ok(rows[0]!.current, 'only this browser is left in the list')

    await assertSignedOut(t, a.page, 'device A is signed out')
    await b.page.reload()
    t.equal(await text(b.page, 'h1'), 'Security settings', 'device B stays signed in')
    await sessionRows(b.page, 1)
    await b.page.locator('#events [data-list] li[data-type="security_stamp.changed"]', { hasText: 'Password changed' }).waitFor()
    t.pass('"Password changed" is in the security events')
  })

  await t.test('the old password no longer works', async (t) => {
    t.equal(await enterPassword(a.page, email, oldPassword), 'error')
    t.equal(await text(a.page, '#password-form [data-error]'), 'That email and password do not match.')
    t.ok(await a.page.locator('#second-factor').isHidden(), 'no second-factor step')
  })
})

t.test('support resets the user\'s second factors', async (t) => {
  const admin = await newUserAgent(browser, baseURL)

  await t.test('an admin adds a passkey, finishes signing in with it and resets the user on /admin', async (t) => {
    await signUpAdmin(t, admin.page, baseURL, adminEmail, oldPassword)
    t.ok(await admin.page.locator('h1[data-enroll-only]').isVisible(), 'a new admin, verified, gets an enrol-only page')
    await admin.page.fill('#key-add [name=name]', 'Support laptop')
    await admin.page.click('#key-add button[type=submit]')
    await admin.page.locator('#keys [data-list] li', { hasText: 'Support laptop' }).waitFor()
    await finishSigningInWithKey(admin.page)

    await admin.page.goto('/admin')
    await admin.page.locator('h2', { hasText: 'MFA adoption' }).waitFor()
    const form = admin.page.locator('#reset-mfa-form')
    await form.locator('[name=email]').fill(email)
    await form.locator('[name=reason]').fill(reason)
    await form.locator('button[type=submit]').click()
    const result = form.locator('[data-result]')
    await result.filter({ hasText: 'Done' }).waitFor()
    t.match(await result.innerText(), /^Done: grace@example\.com has no second factor now and is signed out everywhere\./)
    await shot(admin.page, 'admin-reset-done')
    t.equal(await form.locator('[name=reason]').inputValue(), '', 'the form is cleared')
  })

  await t.test('the user\'s remaining session has ended', async (t) => {
    await assertSignedOut(t, b.page, 'device B is signed out')
  })

  await t.test('the password alone signs in, and the security events show the reset with its reason', async (t) => {
    t.equal(await enterPassword(b.page, email, newPassword), '/', 'no second-factor step')
    t.match(await text(b.page, 'main'), /Signed in as grace@example\.com · assurance level 1/)
    await b.page.goto('/settings/security')
    await b.page.locator('#totp [data-status]', { hasText: 'Off' }).waitFor()
    t.pass('the authenticator app is off')
    const reset = b.page.locator('#events [data-list] li[data-type="recovery.admin_reset"]')
    await reset.waitFor()
    t.match((await reset.innerText()).replace(/\s+/g, ' '), `Second factors reset by support (${adminEmail}: “${reason}”)`)
    await shot(b.page, 'events-after-reset')
  })
})
