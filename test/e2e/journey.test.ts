// A person clicking through the example app in a real browser (Debian's chromium, driven by
// playwright-core), with a CDP virtual authenticator as their passkey and oathtool as their phone.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { AuthenticatorApp, enrolTotp, enterPassword, finishSigningInWithKey, launchBrowser, newUserAgent, shot, signOut, signUp, signUpAdmin, startApp, TestClock, text } from './helpers.js'

const password = 'correct horse battery staple'
// The README's screenshot is refreshed only when asked: a test run leaves the work tree as it was.
const screenshot = new URL('../../docs/security-settings.png', import.meta.url).pathname

const freshAge = 300 // MFA_FRESH_AGE's default, which the app runs with here
// The app's clock: the admin's key check goes stale without waiting five minutes.
const clock = new TestClock()
// Every user of the journey signs in from 127.0.0.1, more often in a minute than the per-address
// limit of the /auth routes (30) allows one network; the per-account limits stay as they are.
const baseURL = await startApp(t, { ADMIN_EMAILS: 'root@example.com', AUTH_RATE_LIMIT: '300' }, { clock })
const browser = await launchBrowser(t)

t.test('a user secures their account, then signs in every way the app offers', async (t) => {
  const { page, authenticator } = await newUserAgent(browser, baseURL)
  const email = 'ada@example.com'

  await t.test('sign up lands on the security settings', async (t) => {
    await signUp(page, email, password)
    t.equal(await text(page, 'h1'), 'Security settings')
  })

  let phone!: AuthenticatorApp
  let backupCodes!: string[]
  await t.test('enrol an authenticator app and save the backup codes', async (t) => {
    ({ phone, codes: backupCodes } = await enrolTotp(t, page))
    if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: screenshot, fullPage: true })

    await page.click('#backup [data-action=copy-codes]')
    t.equal(await page.evaluate(() => navigator.clipboard.readText()), backupCodes.join('\n'), 'copy puts the codes on the clipboard')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#backup [data-action=download-codes]')])
    t.equal(download.suggestedFilename(), 'backup-codes.txt')
    t.equal((await readFile(await download.path())).toString('utf8').trim(), backupCodes.join('\n'), 'the file holds the codes')

    await page.reload()
    await page.locator('#backup [data-status]', { hasText: '10 left' }).waitFor()
    t.ok(await page.locator('#backup [data-codes]').isHidden(), 'the codes are shown once: not after a reload')
    t.notMatch(await page.content(), backupCodes[0], 'and not anywhere in the page')
    await signOut(page)
  })

  await t.test('sign in with the password and a code from the app; a wrong code says so', async (t) => {
    t.equal(await enterPassword(page, email, password), 'second-factor')
    t.equal(await text(page, '#second-factor [data-code-label]'), 'Code from your authenticator app')
    t.ok(await page.locator('[data-action=use-backup]').isVisible(), 'a backup-code link is offered')
    t.ok(await page.locator('[data-action=security-key]').isHidden(), 'no security-key button without a key')
    t.ok(await page.locator('#code-form [name=remember]').isVisible(), 'a "remember this device" checkbox')
    await page.fill('#code-form [name=code]', phone.wrongCode())
    await page.click('#code-form button[type=submit]')
    const error = page.locator('#second-factor [data-error]')
    await error.filter({ hasText: 'not valid' }).waitFor()
    t.equal(await text(page, '#second-factor [data-error]'), 'That code is not valid. 4 attempt(s) left.')
    t.ok(await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('#code-form [name=code]')!
      return document.activeElement === input && input.selectionStart === 0 && input.selectionEnd === input.value.length && input.value.length > 0
    }), 'the refused code is selected, so the next one replaces it')
    await shot(page, 'login-second-factor')
    await page.fill('#code-form [name=code]', phone.nextCode())
    await page.click('#code-form button[type=submit]')
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /Signed in as ada@example\.com · assurance level 2/)
  })

  await t.test('add a passkey on the settings page', async (t) => {
    await page.goto('/settings/security')
    await page.locator('#keys [data-list] li', { hasText: 'None yet' }).waitFor()
    await page.fill('#key-add [name=name]', 'This laptop')
    await page.click('#key-add button[type=submit]')
    const item = page.locator('#keys [data-list] li', { hasText: 'This laptop' })
    await item.waitFor()
    t.match(await item.innerText(), /This laptop/)
    const stored = await authenticator.credentials()
    t.equal(stored.length, 1, 'the authenticator holds one credential')
    t.ok(stored[0]!.isResidentCredential, 'a discoverable credential (passkey)')
    await authenticator.userPresent(false)
    await signOut(page)
  })

  await t.test('sign in with the passkey and no password', async (t) => {
    await page.goto('/login')
    await page.waitForTimeout(1000)
    t.equal(page.url(), `${baseURL}/login`, 'the passkey autofill waits for the user')
    await authenticator.userPresent(true)
    await page.click('[data-action=passkey]')
    await page.waitForURL(`${baseURL}/`)
    await authenticator.userPresent(false)
    t.match(await text(page, 'main'), /Signed in as ada@example\.com · assurance level 3/)
    await signOut(page)
  })

  await t.test('sign in with a backup code and remember this device', async (t) => {
    t.equal(await enterPassword(page, email, password), 'second-factor')
    t.ok(await page.locator('[data-action=security-key]').isVisible(), 'the security-key button is offered now')
    await page.click('[data-action=use-backup]')
    t.equal(await text(page, '#second-factor [data-code-label]'), 'One of your backup codes')
    await page.fill('#code-form [name=code]', backupCodes[3]!)
    await page.check('#code-form [name=remember]')
    await page.click('#code-form button[type=submit]')
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /assurance level 2/)
    await signOut(page)
  })

  await t.test('on the remembered device the second factor is skipped', async (t) => {
    t.equal(await enterPassword(page, email, password), '/')
    t.match(await text(page, 'main'), /Signed in as ada@example\.com · assurance level 2 \(pwd, rmd, mfa\)/)
  })

  await t.test('forget the device on the settings page', async (t) => {
    await page.goto('/settings/security')
    const device = page.locator('#devices [data-list] li', { hasText: 'this browser' })
    await device.waitFor()
    await device.locator('[data-action=revoke-device]').click()
    await page.locator('#devices [data-list] li', { hasText: 'None' }).waitFor()
    t.equal(await page.locator('#devices [data-list] li').count(), 1, 'no device listed')
    await page.locator('#backup [data-status]', { hasText: '9 left' }).waitFor()
    t.pass('the used backup code is gone from the count')
    await signOut(page)
  })

  await t.test('the next sign-in asks for the second factor again', async (t) => {
    t.equal(await enterPassword(page, email, password), 'second-factor')
    await page.fill('#code-form [name=code]', phone.nextCode())
    await page.click('#code-form button[type=submit]')
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /assurance level 2/)
  })

  await t.test('the security events list what happened', async (t) => {
    await page.goto('/settings/security')
    const events = page.locator('#events [data-list] li')
    await events.first().waitFor()
    const types = await events.evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.type))
    for (const type of ['login.success', 'mfa.code_accepted', 'device.revoked']) t.ok(types.includes(type), type)
    t.match(await text(page, '#events'), /Remembered device forgotten/, 'in words, with the time')
  })
})

t.test('an admin signs in with a security key; the admin page needs one verified in the last few minutes', async (t) => {
  const { page, authenticator } = await newUserAgent(browser, baseURL)
  const email = 'root@example.com'
  let phone!: AuthenticatorApp

  await t.test('a new admin may only enrol: the authenticator app is not enough', async (t) => {
    await signUpAdmin(t, page, baseURL, email, password)
    t.ok(await page.locator('h1[data-enroll-only]').isVisible(), 'an enrol-only settings page')
    await page.locator('#nudge', { hasText: 'Your account needs a security key or passkey.' }).waitFor()
    ;({ phone } = await enrolTotp(t, page, clock))
    t.ok(await page.locator('[data-action=finish-enrolment]').isHidden(), 'no "Finish signing in": the app does not meet the admin policy')
    await page.reload()
    await page.locator('#nudge', { hasText: 'Your account needs a security key or passkey.' }).waitFor()
    t.ok(await page.locator('h1[data-enroll-only]').isVisible(), 'the app alone does not finish the sign-in of an admin')
    await signOut(page)
  })

  await t.test('with only the app, the code gives an enrol-only session on the security settings', async (t) => {
    t.equal(await enterPassword(page, email, password), 'second-factor')
    t.equal(await text(page, '#second-factor [data-code-label]'), 'Code from your authenticator app')
    t.ok(await page.locator('[data-action=security-key]').isHidden(), 'no security-key button without a key')
    await page.fill('#code-form [name=code]', phone.nextCode())
    await page.check('#code-form [name=remember]')
    await page.click('#code-form button[type=submit]')
    await page.waitForURL(`${baseURL}/settings/security`)
    t.ok(await page.locator('h1[data-enroll-only]').isVisible(), 'the enrol-only settings page')
    await page.locator('#nudge', { hasText: 'Your account needs a security key or passkey.' }).waitFor()
    t.equal(await text(page, '#nudge'), 'Your account needs a security key or passkey. Add one below to finish signing in.')
    await page.locator('#totp [data-status]', { hasText: 'On' }).waitFor()
    t.ok(await page.locator('#keys [data-list] li', { hasText: 'None yet' }).isVisible(), 'no key yet')
    t.ok(await page.locator('#key-add').isVisible(), 'the form to add a key')
    for (const card of ['#backup', '#devices', '#sessions', '#password', '#events', '#account']) {
      t.ok(await page.locator(card).isHidden(), `${card} is not shown`)
    }
    t.ok(await page.locator('#totp [data-action=totp-disable]').isHidden(), 'the app cannot be turned off from here')
    await shot(page, 'admin-enrol-only')

    await page.goto('/admin')
    t.match(await text(page, 'main'), /Verify with your security key or passkey to continue/)
    t.equal(await page.locator('[data-action=admin-step-up]').count(), 0, 'no key yet: no verify button')
    await page.click('[data-no-key] a')
    await page.waitForURL(`${baseURL}/settings/security#keys`)
    t.ok(await page.locator('#key-add').isVisible(), 'the link leads to adding a key')
  })

  await t.test('add a passkey, then "Finish signing in" with it gives a full session', async (t) => {
    await page.fill('#key-add [name=name]', 'YubiKey')
    await page.click('#key-add button[type=submit]')
    await page.locator('#keys [data-list] li', { hasText: 'YubiKey' }).waitFor()
    t.equal((await authenticator.credentials()).length, 1, 'the authenticator holds the new credential')
    await page.locator('#nudge', { hasText: 'Almost done' }).waitFor()
    t.match(await text(page, '#nudge'), /confirm with your new factor to finish signing in/)
    await shot(page, 'admin-finish-enrolment')
    await finishSigningInWithKey(page)
    t.notOk(await page.locator('h1[data-enroll-only]').count(), 'the full settings page')
    for (const card of ['#backup', '#devices', '#sessions', '#password', '#events']) t.ok(await page.locator(card).isVisible(), `${card} is shown`)
    await page.locator('#sessions [data-list] li', { hasText: 'this browser' }).waitFor()

    await page.goto('/admin')
    await page.locator('h2', { hasText: 'MFA adoption' }).waitFor()
    t.match(await text(page, 'main'), /2 users have a second factor/)
    t.ok(await page.locator('#reset-mfa').isVisible(), 'the support-assisted recovery form')
    await shot(page, 'admin')
  })

  await t.test('past MFA_FRESH_AGE the admin page is refused, and a code from the app does not open it', async (t) => {
    clock.advance(freshAge + 1)
    await page.goto('/admin')
    t.match(await text(page, 'main'), /Verify with your security key or passkey to continue/)
    t.ok(await page.locator('[data-action=admin-step-up]').isVisible(), 'a verify button')
    t.equal(await page.locator('#reset-mfa').count(), 0, 'no recovery form')
    await shot(page, 'admin-step-up')

    // A change that needs a fresh factor opens the step-up dialog; the app's code is refused there.
    await page.goto('/settings/security')
    await page.locator('#backup [data-status]', { hasText: 'left' }).waitFor()
    await page.click('#backup [data-action=regenerate-codes]')
    const dialog = page.locator('#step-up')
    await dialog.waitFor({ state: 'visible' })
    t.ok(await dialog.locator('[data-action=step-up-key]').isVisible(), 'the dialog offers the security key')
    await dialog.locator('[name=code]').fill(phone.nextCode())
    await dialog.locator('button[type=submit]').click()
    await dialog.locator('[data-error]', { hasText: 'must use a security key or passkey' }).waitFor()
    t.equal(await text(page, '#step-up [data-error]'), 'Your account must use a security key or passkey for this.')
    await dialog.locator('[data-action=step-up-cancel]').click()
    await dialog.waitFor({ state: 'hidden' })

    await page.goto('/admin')
    t.match(await text(page, 'main'), /Verify with your security key or passkey to continue/, 'still refused after the refused code')
    await page.click('[data-action=admin-step-up]')
    await page.locator('h2', { hasText: 'MFA adoption' }).waitFor()
    t.pass('the security key opens it')
  })

  await t.test('a remembered device never skips the second factor of an admin', async (t) => {
    await signOut(page)
    // The login page's passkey autofill would sign in with the key by itself: the user does not touch it yet.
    await authenticator.userPresent(false)
    t.equal(await enterPassword(page, email, password), 'second-factor')
    t.ok(await page.locator('#code-form').isHidden(), 'no code field: the app does not count for an admin')
    t.ok(await page.locator('[data-action=security-key]').isVisible(), 'the security-key button')
    // The "remember" box sits in the hidden code form; ticked anyway, the key sign-in asks to remember.
    await page.locator('#code-form [name=remember]').evaluate((box: HTMLInputElement) => { box.checked = true })
    // The user touches the key when the page asks (the pending autofill request is not answered by that).
    await authenticator.userPresent(true)
    await page.click('[data-action=security-key]')
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /Signed in as root@example\.com · assurance level 3 \(pwd, /, 'password, then the key')
    await page.goto('/settings/security')
    await page.locator('#devices [data-list] li', { hasText: 'this browser' }).waitFor()
    t.pass('this browser is remembered')
    await signOut(page)
    await authenticator.userPresent(false)
    t.equal(await enterPassword(page, email, password), 'second-factor', 'and still asked for the key')
    await authenticator.userPresent(true)
    await page.click('[data-action=security-key]')
    await page.waitForURL(`${baseURL}/`)
    t.match(await text(page, 'main'), /assurance level 3 \(pwd, /)
    t.notMatch(await text(page, 'main'), /rmd/, 'not by the remembered device')
  })
})
