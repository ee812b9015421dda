// A person clicking through the example app in a real browser (Debian's chromium, driven by
// playwright-core), with a CDP virtual authenticator as their passkey and oathtool as their phone.
import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { AuthenticatorApp, launchBrowser, newUserAgent, startApp } from './helpers.js'

const password = 'correct horse battery staple'
// The README's screenshot is refreshed only when asked: a test run leaves the work tree as it was.
const screenshot = new URL('../../docs/security-settings.png', import.meta.url).pathname

const baseURL = await startApp(t, { ADMIN_EMAILS: 'root@example.com' })
const browser = await launchBrowser(t)

/** With E2E_SHOTS=<dir>, saves what the page looks like at a step (for reviewing the UI). */
async function shot (page: Page, name: string): Promise<void> {
  if (process.env.E2E_SHOTS) await page.screenshot({ path: `${process.env.E2E_SHOTS}/${name}.png`, fullPage: true })
}

/** What is visible in `selector`, whitespace collapsed. */
const text = async (page: Page, selector: string) => ((await page.locator(selector).first().innerText()) ?? '').replace(/\s+/g, ' ').trim()

async function signOut (page: Page): Promise<void> {
  await page.locator('header [data-action=logout]').click()
  await page.locator('header a[href="/login"]').waitFor()
}

/** The password step; answers whether the second-factor step was shown, else the page the app went to. */
async function enterPassword (page: Page, email: string): Promise<string> {
  await page.goto('/login')
  await page.fill('#password-form [name=login]', email)
  await page.fill('#password-form [name=password]', password)
  await page.click('#password-form button[type=submit]')
  const second = page.locator('#second-factor').waitFor({ state: 'visible' }).then(() => 'second-factor' as const)
  const away = page.waitForURL((url) => url.pathname !== '/login').then(() => new URL(page.url()).pathname)
  return await Promise.race([second, away])
}

async function signUp (page: Page, email: string): Promise<void> {
  await page.goto('/signup')
  await page.fill('#signup-form [name=email]', email)
  await page.fill('#signup-form [name=password]', password)
  await page.click('#signup-form button[type=submit]')
  await page.waitForURL(`${baseURL}/settings/security`)
}

/** Enrols the authenticator app from the settings page; returns the app and the backup codes shown. */
async function enrolTotp (t: Test, page: Page): Promise<{ phone: AuthenticatorApp, codes: string[] }> {
  await page.locator('#totp [data-status]', { hasText: 'Off' }).waitFor()
  await page.click('#totp [data-action=totp-setup]')
  const qr = page.locator('#totp [data-qr]')
  await qr.waitFor({ state: 'visible' })
  await shot(page, 'totp-setup')
  t.match(await qr.getAttribute('src'), /^data:image\/png;base64,/, 'a QR code is shown')
  t.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code image renders')
  const secret = (await text(page, '#totp [data-secret]')).replace(/\s/g, '')
  t.match(secret, /^[A-Z2-7]{32}$/, 'the key for manual entry is shown (base32, 160 bits)')
  const phone = new AuthenticatorApp(secret)
  await page.fill('#totp-confirm [name=code]', phone.nextCode())
  await page.click('#totp-confirm button[type=submit]')
  await page.locator('#totp [data-status]', { hasText: 'On' }).waitFor()
  t.ok(await page.locator('#totp [data-setup]').isHidden(), 'the setup box closes')
  const box = page.locator('#backup [data-codes]')
  await box.waitFor({ state: 'visible' })
  const codes = (await box.locator('[data-list]').innerText()).split('\n').map((c) => c.trim()).filter(Boolean)
  t.equal(codes.length, 10, 'ten backup codes are shown')
  t.ok(await box.locator('[data-action=copy-codes]').isVisible(), 'a copy button')
  t.ok(await box.locator('[data-action=download-codes]').isVisible(), 'a download button')
  return { phone, codes }
}

t.test('a user secures their account, then signs in every way the app offers', async (t) => {
  const { page, authenticator } = await newUserAgent(browser, baseURL)
  const email = 'ada@example.com'

  await t.test('sign up lands on the security settings', async (t) => {
    await signUp(page, email)
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
    t.equal(await enterPassword(page, email), 'second-factor')
    t.equal(await text(page, '#second-factor [data-code-label]'), 'Code from your authenticator app')
    t.ok(await page.locator('[data-action=use-backup]').isVisible(), 'a backup-code link is offered')
    t.ok(await page.locator('[data-action=security-key]').isHidden(), 'no security-key button without a key')
    t.ok(await page.locator('#code-form [name=remember]').isVisible(), 'a "remember this device" checkbox')
    await page.fill('#code-form [name=code]', phone.wrongCode())
    await page.click('#code-form button[type=submit]')
    const error = page.locator('#second-factor [data-error]')
    await error.filter({ hasText: 'not valid' }).waitFor()
    t.equal(await text(page, '#second-factor [data-error]'), 'That code is not valid. 4 attempt(s) left.')
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
    t.equal(await enterPassword(page, email), 'second-factor')
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
    t.equal(await enterPassword(page, email), '/')
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
    t.equal(await enterPassword(page, email), 'second-factor')
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

t.test('the admin page needs a security key verified in the last few minutes', async (t) => {
  const { page } = await newUserAgent(browser, baseURL)
  const email = 'root@example.com'
  await signUp(page, email)
  const { phone } = await enrolTotp(t, page)
  await signOut(page)

  await t.test('signed in with the authenticator app only, the admin page is refused', async (t) => {
    t.equal(await enterPassword(page, email), 'second-factor')
    await page.fill('#code-form [name=code]', phone.nextCode())
    await page.check('#code-form [name=remember]')
    await page.click('#code-form button[type=submit]')
    await page.waitForURL(`${baseURL}/`)
    await page.goto('/admin')
    t.match(await text(page, 'main'), /Verify with your security key or passkey to continue/)
    t.equal(await page.locator('[data-action=admin-step-up]').count(), 0, 'no key yet: no verify button')
    await shot(page, 'admin-refused')
    await page.click('[data-no-key] a')
    await page.waitForURL(`${baseURL}/settings/security#keys`)
    t.ok(await page.locator('#key-add').isVisible(), 'the link leads to adding a key')
  })

  await t.test('on the remembered device, adding a key needs the app code first (step-up dialog)', async (t) => {
    await signOut(page)
    t.equal(await enterPassword(page, email), '/', 'the remembered device skips the second factor')
    await page.goto('/settings/security')
    await page.locator('#totp [data-status]', { hasText: 'On' }).waitFor()
    await page.fill('#key-add [name=name]', 'YubiKey')
    await page.click('#key-add button[type=submit]')
    const dialog = page.locator('#step-up')
    await dialog.waitFor({ state: 'visible' })
    await dialog.locator('[name=code]').fill(phone.wrongCode())
    await dialog.locator('button[type=submit]').click()
    await dialog.locator('[data-error]', { hasText: 'not valid' }).waitFor()
    t.pass('a wrong code is refused in the dialog')
    await dialog.locator('[name=code]').fill(phone.nextCode())
    await dialog.locator('button[type=submit]').click()
    await page.locator('#keys [data-list] li', { hasText: 'YubiKey' }).waitFor()
    t.pass('the key is added')
  })

  await t.test('a TOTP-verified session is still refused; the security key opens it', async (t) => {
    await page.goto('/admin')
    t.match(await text(page, 'main'), /Verify with your security key or passkey/)
    await shot(page, 'admin-step-up')
    await page.click('[data-action=admin-step-up]')
    await page.locator('h2', { hasText: 'MFA adoption' }).waitFor()
    t.match(await text(page, 'main'), /2 users have a second factor/)
    await shot(page, 'admin')
  })
})
