// Codes by email in a real browser: sign-up verifies the address with a mailed code, the user turns
// on email codes and signs in with one, a second browser's sign-in is mailed to the user, and a
// change that needs a fresh factor is confirmed with an emailed code in the step-up dialog; a phone
// number is then proven by a code in the development SMS outbox. The
// test reads the mails from the app's development outbox (`/dev/mail.json`), as the user reads
// their inbox; the pages never see it.
import t from 'tap'
import {
  enterPassword, launchBrowser, mailTo, mailedCode, newUserAgent, outbox, shot, signOut, signUp, startApp, TestClock, text, verifyEmail
} from './helpers.js'

const email = 'lin@example.com'
const password = 'correct horse battery staple'
const masked = 'l•••@example.com'
const freshAge = 300 // MFA_FRESH_AGE's default
const LOGIN_SUBJECT = /Your sign-in code/

const clock = new TestClock()
const baseURL = await startApp(t, { AUTH_RATE_LIMIT: '300' }, { clock })
const browser = await launchBrowser(t)
const a = await newUserAgent(browser, baseURL)
const b = await newUserAgent(browser, baseURL)
// No passkeys here: the login page's passkey autofill stays pending, as for a person without one.
await a.authenticator.userPresent(false)
await b.authenticator.userPresent(false)

t.test('a user signs in with codes sent by email', async (t) => {
  await t.test('sign-up asks to verify the address; the mailed code does it', async (t) => {
    await signUp(a.page, email, password)
    await a.page.locator('#verify-email').waitFor()
    t.match(await text(a.page, '#verify-email'), `Verify your email We sent a 6-digit code to ${email}.`)
    await a.page.locator('#email-otp [data-status]', { hasText: 'Verify your email address first' }).waitFor()
    t.ok(await a.page.locator('#email-otp [data-start]').isDisabled(), 'email codes wait for a verified address')
    await shot(a.page, 'verify-email-banner')
    await verifyEmail(a.page, baseURL, email)
    await a.page.locator('#verify-email').waitFor({ state: 'detached' })
    await a.page.locator('#toast', { hasText: 'Your email address is verified' }).waitFor()
    await a.page.reload()
    t.equal(await a.page.locator('#verify-email').count(), 0, 'no banner after a reload')
  })

  await t.test('turns on email codes with a code sent to the address', async (t) => {
    const card = a.page.locator('#email-otp')
    await card.locator('[data-status] .badge.off').waitFor()
    await card.locator('[data-start]').click()
    const form = a.page.locator('#email-otp-confirm')
    await form.waitFor({ state: 'visible' })
    t.equal(await text(a.page, '#email-otp-confirm [data-sent-to]'), masked, 'names the address, masked')
    const resend = form.locator('[data-resend]')
    t.ok(await resend.isDisabled(), 'a new code waits')
    t.match(await resend.innerText(), /^Send a new code \(\d+ s\)$/, 'with a countdown')
    await form.locator('[name=code]').fill(await mailedCode(baseURL, email, /Confirm your address/))
    await form.locator('button[type=submit]').click()
    await card.locator('[data-status] .badge.on').waitFor()
    t.equal((await card.locator('[data-status]').textContent())?.trim(), `On You can get sign-in codes by email, at ${masked}.`)
    await a.page.locator('#backup [data-codes]').waitFor({ state: 'visible' })
    t.pass('the first factor brings backup codes')
    await shot(a.page, 'email-codes-on')
    await signOut(a.page)
  })

  await t.test('signs in with the password and "Email me a code"', async (t) => {
    t.equal(await enterPassword(a.page, email, password), 'second-factor')
    const send = a.page.locator('#second-factor [data-action=send-code][data-method=email-otp]')
    t.ok(await send.isVisible(), '"Email me a code" is offered')
    t.equal(await send.innerText(), 'Email me a code')
    t.ok(await a.page.locator('#code-form').isHidden(), 'no code field before a code is sent')
    t.ok(await a.page.locator('[data-action=use-backup]').isVisible(), 'a backup code would do too')
    const before = await outbox(baseURL)
    await send.click()
    await a.page.locator('#code-form').waitFor({ state: 'visible' })
    t.equal(await text(a.page, '#second-factor [data-code-label]'), `Code we emailed to ${masked}`)
    t.match(await send.innerText(), /^Email me a new code \(\d+ s\)$/, 'the resend counts down')
    t.ok(await send.isDisabled())
    await shot(a.page, 'login-email-code')
    await a.page.fill('#code-form [name=code]', await mailedCode(baseURL, email, LOGIN_SUBJECT, before))
    await a.page.click('#code-form button[type=submit]')
    await a.page.waitForURL(`${baseURL}/`)
    t.match(await text(a.page, 'main'), /Signed in as lin@example\.com · assurance level 2 \(pwd, otp, mfa\)/)
  })

  await t.test('a sign-in from a second browser is mailed to the user', async (t) => {
    const before = await outbox(baseURL)
    t.equal(await enterPassword(b.page, email, password), 'second-factor')
    await b.page.click('#second-factor [data-action=send-code][data-method=email-otp]')
    await b.page.locator('#code-form').waitFor({ state: 'visible' })
    await b.page.fill('#code-form [name=code]', await mailedCode(baseURL, email, LOGIN_SUBJECT, before))
    await b.page.click('#code-form button[type=submit]')
    await b.page.waitForURL(`${baseURL}/`)
    const notice = await mailTo(baseURL, email, /New sign-in/, before)
    t.match(notice.text, /signed in to from a browser it had not been used from before/, 'the mail says what happened')
    t.match(notice.text, /Chrome Headless on Linux/, 'and from which browser')
  })

  await t.test('a change that needs a fresh factor is confirmed with an emailed code; the events say what happened', async (t) => {
    clock.advance(freshAge + 1)
    await a.page.goto('/settings/security')
    const card = a.page.locator('#email-otp')
    await card.locator('[data-status] .badge.on').waitFor()
    a.page.once('dialog', (d) => { void d.accept() })
    await card.locator('[data-action=email-otp-disable]').click()
    const dialog = a.page.locator('#step-up')
    await dialog.waitFor({ state: 'visible' })
    const send = dialog.locator('[data-action=step-up-send][data-method=email-otp]')
    t.ok(await send.isVisible(), 'the step-up dialog offers "Email me a code"')
    t.ok(await dialog.locator('[data-action=step-up-send][data-method=sms-otp]').isHidden(), 'not text messages: none set up')
    const before = await outbox(baseURL)
    await send.click()
    await dialog.locator('[data-code-label]', { hasText: `Code we emailed to ${masked}` }).waitFor()
    await dialog.locator('[name=code]').fill(await mailedCode(baseURL, email, /Your verification code/, before))
    await dialog.locator('button[type=submit]').click()
    await a.page.locator('#toast', { hasText: 'Email codes turned off' }).waitFor()
    await card.locator('[data-status] .badge.off').waitFor()
    const events = a.page.locator('#events [data-list]')
    for (const label of ['Email codes turned on', 'Email codes turned off', 'Signed in from a new browser', `Sign-in code sent to ${masked}`]) {
      await events.locator('li', { hasText: label }).first().waitFor()
      t.pass(`the events list "${label}"`)
    }
    await shot(a.page, 'email-events')
  })

  await t.test('text message codes: a phone number is proven by a code texted to it', async (t) => {
    const card = a.page.locator('#sms-otp')
    await card.locator('[data-start]').click()
    await a.page.fill('#sms-otp-phone [name=phone]', '+1 415 555 0123')
    await a.page.click('#sms-otp-phone button[type=submit]')
    const form = a.page.locator('#sms-otp-confirm')
    await form.waitFor({ state: 'visible' })
    t.equal(await text(a.page, '#sms-otp-confirm [data-sent-to]'), '+•• ••• ••• 23')
    const texts = await (await fetch(`${baseURL}/dev/sms.json`)).json() as Array<{ to: string, text: string }>
    t.equal(texts[0]!.to, '+14155550123', 'texted to the number, in E.164')
    await form.locator('[name=code]').fill(texts[0]!.text.match(/\b(\d{6})\b/)![1]!)
    await form.locator('button[type=submit]').click()
    await card.locator('[data-status] .badge.on').waitFor()
    t.equal((await card.locator('[data-status]').textContent())?.trim(), 'On You can get sign-in codes by text message, at +•• ••• ••• 23.')
    await shot(a.page, 'sms-codes-on')
  })
})
