// Approving a sign-in on a signed-in device, with number matching (issue 16), in a real browser. One
// person on two devices (two browser profiles): device A, signed in with the password and the
// authenticator app, keeps a page open; device B signs in with the password and picks "Approve on
// another device". A's prompt card appears without a reload (Server-Sent Events), A types the number
// B shows, and B is signed in at AAL 2. Then the refusals, each as both screens show it: a wrong
// number, a denial, the fourth request within 10 minutes (429), three denials in a row (approvals
// paused), a request that expires; a step-up on A approved from B; the events on Security settings.
import t from 'tap'
import type { Page } from 'playwright-core'
import {
  type AuthenticatorApp, enrolTotp, enterPassword, launchBrowser, newUserAgent, shot, signInWithCode, signOut, signUp, startApp, TestClock, text
} from './helpers.js'

const email = 'ada@example.com'
const password = 'correct horse battery staple'
// Device A names itself a phone, so its own label differs from B's ("Chrome Headless on Linux").
const phoneUserAgent = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'
// @fastify-mfa/device-approval's defaults, which the app runs with.
const requestWindow = 600 // seconds: at most 3 requests in it
const lockSeconds = 900 // approvals paused after 3 denials in a row
const requestTtl = 120

// The app's clock: moved past the limits' windows and the request's expiry instead of waiting.
const clock = new TestClock()
const baseURL = await startApp(t, { AUTH_RATE_LIMIT: '300' }, { clock })
const browser = await launchBrowser(t)
const a = await newUserAgent(browser, baseURL, { userAgent: phoneUserAgent })
const b = await newUserAgent(browser, baseURL)
// Neither profile touches its authenticator: the login page's passkey autofill stays pending.
await a.authenticator.userPresent(false)
await b.authenticator.userPresent(false)

// What would break the pages without failing a step: a script error, a CSP refusal (an inline
// script or a connection the policy does not allow), and A falling back to polling.
const problems: string[] = []
const polled: string[] = []
for (const [name, page] of [['A', a.page], ['B', b.page]] as const) {
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`))
  page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`) })
}
a.page.on('request', (r) => { if (new URL(r.url()).pathname === '/mfa/approvals' && r.method() === 'GET') polled.push(r.url()) })

/** With E2E_SHOTS, the prompt cards alone too (the full page makes them small). */
async function cardShot (page: Page, name: string): Promise<void> {
  if (process.env.E2E_SHOTS) await page.locator('#approvals').screenshot({ path: `${process.env.E2E_SHOTS}/${name}-card.png` })
}

const session = async (page: Page) => await (await page.request.get('/auth/session')).json() as { aal: number, amr: string[], userId: string | null }
const wrongNumberFor = (n: number): number => n === 99 ? 10 : n + 1

/** The number B's screen shows, once a request is open. */
async function shownNumber (page: Page, panel = '#login-approval'): Promise<number> {
  const number = page.locator(`${panel} [data-number]`)
  await number.filter({ hasText: /^\d{2}$/ }).waitFor()
  return Number(await number.innerText())
}

/** B: the password, then "Approve on another device"; answers the number shown. */
async function askForApproval (page: Page): Promise<number> {
  const step = await enterPassword(page, email, password)
  if (step !== 'second-factor') throw new Error(`expected the second-factor step, got ${step}`)
  const choice = page.locator('#second-factor [data-action=approve-elsewhere]')
  await choice.waitFor({ state: 'visible' })
  await choice.click()
  return await shownNumber(page)
}

/** The undecided prompt card on `page` (there is one at a time here). */
const openCard = (page: Page) => page.locator('#approvals .approval-prompt:not([data-outcome])')

/** B's refusal, once shown: the error text and whether "Send a new request" can be clicked. */
async function refusalOn (page: Page, panel = '#login-approval'): Promise<{ message: string, retry: boolean, retryLabel: string }> {
  const error = page.locator(`${panel} [data-approval-error]`)
  await error.filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 })
  const retry = page.locator(`${panel} [data-action=approval-retry]`)
  return { message: await error.innerText(), retry: await retry.isEnabled() && await retry.isVisible(), retryLabel: await retry.innerText() }
}

let phone!: AuthenticatorApp

t.test('device A signs up, turns on the authenticator app and signs in with it', async (t) => {
  await signUp(a.page, email, password)
  ;({ phone } = await enrolTotp(t, a.page, clock))
  await signOut(a.page)
  t.equal(await signInWithCode(a.page, email, password, phone), '/')
  t.match(await text(a.page, 'main'), /assurance level 2/)
  t.ok(await a.page.locator('#approvals').count(), 'a signed-in page at AAL 2 has the place for prompts')
})

t.test('B asks, A approves with the number B shows, B is signed in at AAL 2', async (t) => {
  await a.page.goto('/settings/security')
  await a.page.locator('#sessions [data-list] li').first().waitFor()
  // Set on the page A has open: still there when the card shows, so the page was not reloaded.
  await a.page.evaluate(() => { (window as unknown as { e2eSamePage: boolean }).e2eSamePage = true })

  const step = await enterPassword(b.page, email, password)
  t.equal(step, 'second-factor')
  const choice = b.page.locator('#second-factor [data-action=approve-elsewhere]')
  t.ok(await choice.isVisible(), '"Approve on another device" is offered: A is signed in at AAL 2')
  const asked = Date.now()
  await choice.click()
  const number = await shownNumber(b.page)
  t.ok(number >= 10 && number <= 99, `B shows two digits (${number})`)
  t.match(await text(b.page, '#login-approval'), new RegExp(`Open Example Host App on a device where you're signed in and enter ${number} Waiting for your other device… The request expires in [12]:\\d\\d\\.`))
  t.ok(await b.page.locator('#code-form').isHidden(), 'while it waits, B shows the number and not the code form')

  const card = openCard(a.page)
  await card.waitFor()
  const took = Date.now() - asked
  t.ok(took < 3000, `A's prompt card appeared at once (${took} ms after B asked)`)
  t.ok(await a.page.evaluate(() => (window as unknown as { e2eSamePage?: boolean }).e2eSamePage === true), 'without a reload')
  t.same(polled, [], 'through the event stream, not by polling')
  t.match(await text(a.page, '#approvals'), /^Is this you signing in\? Chrome Headless on Linux · 127\.0\.0\.1 · \d{1,2}:\d\d/, 'B\'s device, address and time')
  t.match(await card.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/)
  t.equal(await card.locator('[data-label]').innerText(), 'Chrome Headless on Linux')
  t.notMatch(await text(a.page, '#approvals'), new RegExp(`\\b${number}\\b`), 'A is not told the number')
  t.ok(await card.locator('button[type=submit]').isDisabled(), 'Approve waits for two digits')
  await shot(b.page, 'approval-b-number')
  await shot(a.page, 'approval-a-prompt')
  await cardShot(a.page, 'approval-a-prompt')

  // A types the number on the number pad.
  for (const digit of String(number)) await card.locator(`.numpad [data-digit="${digit}"]`).click()
  t.equal(await card.locator('[name=number]').inputValue(), String(number))
  await Promise.all([
    b.page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 }),
    card.locator('button[type=submit]').click()
  ])
  const decided = a.page.locator('#approvals .approval-prompt[data-outcome=approved]')
  await decided.waitFor()
  t.match(await text(a.page, '#approvals'), /^Approved Approved\. Chrome Headless on Linux can go ahead with the sign-in\./, 'A confirms')
  await shot(a.page, 'approval-a-approved')
  t.match(await text(b.page, 'main'), /Signed in as ada@example\.com · assurance level 2\b/, 'B is signed in')
  const signedIn = await session(b.page)
  t.equal(signedIn.aal, 2)
  t.ok(signedIn.amr.includes('mca'), 'amr: mca')
  // The confirmation goes by itself.
  await decided.waitFor({ state: 'detached', timeout: 10_000 })
  t.ok(await a.page.locator('#approvals').isHidden(), 'and the prompt place hides again')
  await signOut(b.page)
})

t.test('a wrong number blocks the sign-in on both screens', async (t) => {
  const number = await askForApproval(b.page)
  const card = openCard(a.page)
  await card.waitFor()
  await card.locator('[name=number]').fill(String(wrongNumberFor(number)))
  await card.locator('button[type=submit]').click()
  await a.page.locator('#approvals .approval-prompt[data-outcome=wrong_number]').waitFor()
  t.match(await text(a.page, '#approvals'), /That number does not match the one on the other screen, so the sign-in was blocked\. If it was you, start again there/, 'A: blocked')
  const refusal = await refusalOn(b.page)
  t.equal(refusal.message, 'The request was denied on your other device, or the number typed there did not match.', 'B: the denial')
  t.ok(refusal.retry, 'B can send a new request')
  t.ok(await b.page.locator('#login-approval [data-action=approval-cancel]').isVisible(), 'or use another method')
  t.equal(await b.page.locator('#login-approval [data-number]').innerText(), '', 'the old number is gone')
  await shot(b.page, 'approval-b-denied')
  await shot(a.page, 'approval-a-wrong-number')
  await cardShot(a.page, 'approval-a-wrong-number')
  t.equal(new URL(b.page.url()).pathname, '/login')
  t.equal((await session(b.page)).userId, null, 'B is not signed in')
  await a.page.locator('#approvals [data-action=approval-close]').click()
  t.ok(await a.page.locator('#approvals').isHidden(), 'A closes the card')

  await a.page.reload()
  const events = a.page.locator('#events [data-list]')
  await events.locator('li[data-type="device-approval.suspicious"]').waitFor()
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.suspicious"]'), /^Suspicious sign-in: the number typed to approve it did not match/)
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.denied"]'), /^Sign-in blocked: the number typed to approve it did not match/)
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.approved"]'), /^Sign-in approved on a signed-in device/)
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.requested"]'), /^Sign-in waiting for approval on a signed-in device/)
  t.match(await text(a.page, '#events [data-list] li[data-type="login.success"]'), /^Signed in, approved on a signed-in device/, 'B\'s sign-in, newest first')
})

t.test('B sends a new request, A denies it; a fourth request within 10 minutes is refused with the wait', async (t) => {
  await b.page.click('#login-approval [data-action=approval-retry]')
  const number = await shownNumber(b.page)
  t.ok(number >= 10, 'a new number')
  const card = openCard(a.page)
  await card.waitFor()
  await card.locator('[data-action=approval-deny]').click()
  await a.page.locator('#approvals .approval-prompt[data-outcome=denied]').waitFor()
  t.match(await text(a.page, '#approvals'), /^Blocked Denied\. The sign-in was blocked\. If it was not you, change your password/, 'A: denied')
  t.equal((await refusalOn(b.page)).message, 'The request was denied on your other device, or the number typed there did not match.', 'B: the denial')
  await a.page.locator('#approvals [data-action=approval-close]').click()

  await b.page.click('#login-approval [data-action=approval-retry]')
  await b.page.locator('#login-approval [data-approval-error]', { hasText: 'Too many' }).waitFor()
  const refusal = await refusalOn(b.page)
  t.match(refusal.message, /^Too many requests to approve in a short time\. Try again in (9|10) min, or use another method\.$/, 'B: the 429, with the wait')
  t.notOk(refusal.retry, '"Send a new request" waits')
  t.match(refusal.retryLabel, /^Send a new request \(\d+ s\)$/, 'counting down')
  await shot(b.page, 'approval-b-rate-limited')
  t.equal(await openCard(a.page).count(), 0, 'A is not asked')

  // Another method: the code form is back, and the authenticator app signs B in.
  await b.page.click('#login-approval [data-action=approval-cancel]')
  await b.page.locator('#code-form').waitFor({ state: 'visible' })
  t.ok(await b.page.locator('#login-approval').isHidden(), 'the approval panel closes')
  await b.page.fill('#code-form [name=code]', phone.nextCode())
  await b.page.click('#code-form button[type=submit]')
  await b.page.waitForURL((url) => url.pathname === '/')
  t.equal((await session(b.page)).aal, 2, 'B signed in with a code instead')
  await signOut(b.page)
})

t.test('three denials in a row pause the requests for 15 minutes', async (t) => {
  clock.advance(requestWindow + 5)
  await askForApproval(b.page)
  const card = openCard(a.page)
  await card.waitFor()
  await card.locator('[data-action=approval-deny]').click()
  await a.page.locator('#approvals .approval-prompt[data-outcome=denied]').waitFor()
  t.match(await text(a.page, '#approvals'), /After several denied requests in a row, requests to approve are paused for a while\./, 'A is told of the pause')
  await shot(a.page, 'approval-a-locked')
  await cardShot(a.page, 'approval-a-locked')
  await refusalOn(b.page)
  await b.page.click('#login-approval [data-action=approval-retry]')
  await b.page.locator('#login-approval [data-approval-error]', { hasText: 'Too many' }).waitFor()
  t.match((await refusalOn(b.page)).message, /Try again in 15 min, or use another method\.$/, 'B: refused until the pause ends')
  await a.page.locator('#approvals [data-action=approval-close]').click()
})

t.test('a request nobody answers expires on both screens', async (t) => {
  clock.advance(lockSeconds + 5)
  await askForApproval(b.page)
  const card = openCard(a.page)
  await card.waitFor()
  t.match(await card.locator('[data-expires]').innerText(), /^It expires in [12]:\d\d\.$/)
  clock.advance(requestTtl + 5)
  t.equal((await refusalOn(b.page)).message, 'The request expired before your other device answered it.', 'B: expired')
  t.ok((await refusalOn(b.page)).retry, 'B can send a new one')
  await card.waitFor({ state: 'detached' })
  t.pass('A\'s card goes')
})

t.test('a step-up on A is approved from B', async (t) => {
  // B signs in with a code; A's sign-in is long past MFA_FRESH_AGE on the app's clock.
  await b.page.click('#login-approval [data-action=approval-cancel]')
  await b.page.fill('#code-form [name=code]', phone.nextCode())
  await b.page.click('#code-form button[type=submit]')
  await b.page.waitForURL((url) => url.pathname === '/')

  await a.page.goto('/settings/security')
  await a.page.locator('#backup [data-status]', { hasText: 'left' }).waitFor()
  await a.page.click('#backup [data-action=regenerate-codes]')
  const dialog = a.page.locator('#step-up')
  await dialog.waitFor({ state: 'visible' })
  const choice = dialog.locator('[data-action=step-up-approval]')
  t.ok(await choice.isVisible(), 'the step-up offers "Approve on another device"')
  await choice.click()
  const number = await shownNumber(a.page, '#step-up-approval')
  await shot(a.page, 'approval-a-step-up-number')

  const card = openCard(b.page)
  await card.waitFor()
  t.match(await text(b.page, '#approvals'), /^Is this you confirming a change\? Mobile Chrome on Android · 127\.0\.0\.1 ·/, 'B is asked, naming A')
  await card.locator('[name=number]').fill(String(number).slice(0, 1))
  await cardShot(b.page, 'approval-b-step-up-typing')
  await card.locator('[name=number]').fill(String(number))
  await card.locator('[name=number]').press('Enter')
  await b.page.locator('#approvals .approval-prompt[data-outcome=approved]').waitFor()
  await dialog.waitFor({ state: 'hidden', timeout: 30_000 })
  await a.page.locator('#backup [data-codes]').waitFor({ state: 'visible' })
  t.pass('A\'s dialog closes and the new backup codes are shown')

  await a.page.reload()
  await a.page.locator('#events [data-list] li[data-type="device-approval.locked"]').waitFor()
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.locked"]'), /^Requests to approve paused for 15 minutes after 3 denials in a row/)
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.throttled"]'), /^A request to approve was refused: requests are paused after denials/)
  t.match(await text(a.page, '#events [data-list] li[data-type="device-approval.approved"]'), /^Confirmation of a change approved on a signed-in device/)
  await shot(a.page, 'approval-a-events')
})

t.test('nothing went wrong in the pages', async (t) => {
  t.same(problems, [], 'no script error and no Content Security Policy refusal')
})
