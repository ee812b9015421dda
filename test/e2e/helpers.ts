import { execFileSync } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { Test } from 'tap'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'
import { createMongoStore } from '@fastify-mfa/core'
import { testDb } from '@fastify-mfa/testing'
import { buildApp } from 'host-app/dist/app.js'
import { loadConfig } from 'host-app/dist/config.js'

interface Teardown { teardown(fn: () => unknown): void }

/**
 * The app's clock (buildApp's `now`), which a test moves forward instead of waiting: past
 * MFA_FRESH_AGE, or to the next TOTP time steps. An AuthenticatorApp given the same clock computes
 * the codes of that time, like a phone whose clock agrees with the server's.
 */
export class TestClock {
  private offset = 0
  readonly now = (): number => Date.now() + this.offset
  advance (seconds: number): void { this.offset += seconds * 1000 }
}

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'

/** A loopback port nobody listens on right now (the app needs it before it is built: ORIGIN names it). */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** The example app on MongoDB (FerretDB in CI), listening on a free port; returns its base URL. */
export async function startApp (t: Teardown, env: Record<string, string> = {}, { clock }: { clock?: TestClock } = {}): Promise<string> {
  const store = createMongoStore(await testDb(t))
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const app = await buildApp(loadConfig({ PORT: String(port), ORIGIN: origin, RP_ID: 'localhost', ...env }), { store, logger: false, ...(clock ? { now: clock.now } : {}) })
  t.teardown(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  return origin
}

/**
 * Another site: `html` at every path, on a loopback port of its own (another origin, and another site:
 * 127.0.0.1, not localhost). Served for real, not by page.route, so Chromium sees a local page framing
 * a local one (its Local Network Access checks block a "public" page that frames localhost).
 */
export async function startOtherSite (t: Teardown, html: string): Promise<string> {
  const server = createHttpServer((_request, response) => { response.setHeader('content-type', 'text/html; charset=utf-8'); response.end(html) })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()) })
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

export async function launchBrowser (t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * A fresh browser profile with its own page, and a platform authenticator attached through CDP.
 * `options` go to the context (e.g. `userAgent`, for a device the sessions list names differently).
 */
export async function newUserAgent (browser: Browser, baseURL: string, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext, page: Page, authenticator: VirtualAuthenticator }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1100, height: 1400 }, acceptDownloads: true, ...options })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  if (process.env.E2E_DEBUG) {
    page.on('console', (msg) => { if (msg.type() === 'error') process.stderr.write(`[browser] ${msg.text()}\n`) })
    page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.message}\n`))
    page.on('response', (res) => {
      if (res.status() >= 400) void res.text().then((body) => process.stderr.write(`[${res.status()}] ${res.request().method()} ${res.url()} ${body.slice(0, 300)}\n`), () => {})
    })
  }
  const authenticator = await VirtualAuthenticator.attach(context, page)
  return { context, page, authenticator }
}

/** The Chrome DevTools Protocol WebAuthn domain standing in for a passkey-capable device. */
export class VirtualAuthenticator {
  private constructor (private readonly cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>, readonly id: string) {}

  static async attach (context: BrowserContext, page: Page): Promise<VirtualAuthenticator> {
    const cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true
      }
    })
    return new VirtualAuthenticator(cdp, authenticatorId)
  }

  /**
   * Whether the user touches the authenticator when asked. Off, a request waits like a real one
   * would: the login page's passkey autofill (conditional mediation) then stays pending instead of
   * signing in by itself.
   */
  async userPresent (enabled: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: this.id, enabled })
  }

  async credentials (): Promise<Array<{ credentialId: string, isResidentCredential: boolean, rpId?: string, signCount: number }>> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id })).credentials
  }
}

/**
 * An authenticator app: codes from oathtool, like a phone computes them. A code's 30 s step is
 * accepted once, and the server accepts one step of drift each way, so each new code is the one of
 * the step after the last one used, starting one step back: three logins fit in one step, no waiting.
 */
export class AuthenticatorApp {
  private lastStep: number | null = null
  constructor (readonly secret: string, private readonly clock: { now(): number } = Date) {}

  static codeAt (secret: string, stepIndex: number): string {
    const at = new Date(stepIndex * 30_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
    return execFileSync('oathtool', ['--totp', '-b', '--now', at, secret], { encoding: 'utf8' }).trim()
  }

  nextCode (): string {
    const now = this.clock.now()
    const current = Math.floor(now / 30_000)
    // Near the end of a step, start from the step that is current when the request lands.
    const earliest = Math.floor((now + 3000) / 30_000) - 1
    const step = this.lastStep === null ? earliest : Math.max(this.lastStep + 1, earliest)
    if (step > current + 1) throw new Error('more TOTP codes asked for than one time step allows')
    this.lastStep = step
    return AuthenticatorApp.codeAt(this.secret, step)
  }

  /** A 6-digit code that is none of those the server accepts right now. */
  wrongCode (): string {
    const current = Math.floor(this.clock.now() / 30_000)
    const valid = new Set([-1, 0, 1, 2].map((d) => AuthenticatorApp.codeAt(this.secret, current + d)))
    let code = 123456
    while (valid.has(String(code))) code++
    return String(code)
  }
}

// ---- what a person does in the example app's pages ----

/** With E2E_SHOTS=<dir>, saves what the page looks like at a step (for reviewing the UI). */
export async function shot (page: Page, name: string): Promise<void> {
  if (process.env.E2E_SHOTS) await page.screenshot({ path: `${process.env.E2E_SHOTS}/${name}.png`, fullPage: true })
}

/** What is visible in `selector`, whitespace collapsed. */
export const text = async (page: Page, selector: string): Promise<string> => ((await page.locator(selector).first().innerText()) ?? '').replace(/\s+/g, ' ').trim()

export async function signOut (page: Page): Promise<void> {
  await page.locator('header [data-action=logout]').click()
  await page.locator('header a[href="/login"]').waitFor()
}

/**
 * The password step; answers 'second-factor' when that step was shown, 'error' when the form shows an
 * error (its text is in `#password-form [data-error]`), else the path of the page the app went to.
 */
export async function enterPassword (page: Page, email: string, password: string): Promise<string> {
  await page.goto('/login')
  await page.fill('#password-form [name=login]', email)
  await page.fill('#password-form [name=password]', password)
  await page.click('#password-form button[type=submit]')
  const second = page.locator('#second-factor').waitFor({ state: 'visible' }).then(() => 'second-factor' as const)
  const error = page.locator('#password-form [data-error]').filter({ hasText: /\S/ }).waitFor().then(() => 'error' as const)
  const away = page.waitForURL((url) => url.pathname !== '/login').then(() => new URL(page.url()).pathname)
  return await Promise.race([second, error, away])
}

/** Password, then a code from the authenticator app; answers the path the app went to. */
export async function signInWithCode (page: Page, email: string, password: string, phone: AuthenticatorApp, { remember = false } = {}): Promise<string> {
  const step = await enterPassword(page, email, password)
  if (step !== 'second-factor') throw new Error(`expected the second-factor step, got ${step}`)
  await page.fill('#code-form [name=code]', phone.nextCode())
  if (remember) await page.check('#code-form [name=remember]')
  await page.click('#code-form button[type=submit]')
  await page.waitForURL((url) => url.pathname !== '/login')
  return new URL(page.url()).pathname
}

export async function signUp (page: Page, email: string, password: string): Promise<void> {
  await page.goto('/signup')
  await page.fill('#signup-form [name=email]', email)
  await page.fill('#signup-form [name=password]', password)
  await page.click('#signup-form button[type=submit]')
  await page.waitForURL((url) => url.pathname === '/settings/security')
}

/** Enrols the authenticator app from the settings page; returns the app (on `clock`) and the backup codes shown. */
export async function enrolTotp (t: Test, page: Page, clock?: TestClock): Promise<{ phone: AuthenticatorApp, codes: string[] }> {
  await page.locator('#totp [data-status]', { hasText: 'Off' }).waitFor()
  await page.click('#totp [data-action=totp-setup]')
  const qr = page.locator('#totp [data-qr]')
  await qr.waitFor({ state: 'visible' })
  await shot(page, 'totp-setup')
  t.match(await qr.getAttribute('src'), /^data:image\/png;base64,/, 'a QR code is shown')
  t.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code image renders')
  const secret = (await text(page, '#totp [data-secret]')).replace(/\s/g, '')
  t.match(secret, /^[A-Z2-7]{32}$/, 'the key for manual entry is shown (base32, 160 bits)')
  const phone = new AuthenticatorApp(secret, clock)
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

/** A mail of the app's development outbox (`GET /dev/mail.json`, newest first). */
export interface OutboxMail { id: string, at: string, to: string[], subject: string, text: string }

/**
 * The six-digit code of the newest mail to `email` whose subject matches, read from the outbox by
 * the test (as a person reads their inbox), not by the page. Waits for it up to 5 s; with `after`,
 * only a mail that is not one of those.
 */
export async function mailedCode (baseURL: string, email: string, subject: RegExp, after: OutboxMail[] = []): Promise<string> {
  const mail = await mailTo(baseURL, email, subject, after)
  const code = mail.text.match(/\b(\d{6})\b/)?.[1]
  if (!code) throw new Error(`no code in the mail "${mail.subject}"`)
  return code
}

/** The newest mail to `email` whose subject matches, waiting for it up to 5 s; with `after`, not one of those. */
export async function mailTo (baseURL: string, email: string, subject: RegExp, after: OutboxMail[] = []): Promise<OutboxMail> {
  const seen = new Set(after.map((m) => m.id))
  for (let i = 0; i < 100; i++) {
    const mail = (await outbox(baseURL)).find((m) => !seen.has(m.id) && m.to.includes(email) && subject.test(m.subject))
    if (mail) return mail
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no mail to ${email} matching ${subject}`)
}

export async function outbox (baseURL: string): Promise<OutboxMail[]> {
  const res = await fetch(`${baseURL}/dev/mail.json`)
  if (!res.ok) throw new Error(`no development outbox: ${res.status}`)
  return await res.json() as OutboxMail[]
}

export const VERIFY_SUBJECT = /^Verify your email/

/** Types the code sign-up mailed into the "Verify your email" banner; answers what the banner says then. */
export async function verifyEmail (page: Page, baseURL: string, email: string): Promise<void> {
  const banner = page.locator('#verify-email')
  await banner.waitFor()
  await banner.locator('[name=code]').fill(await mailedCode(baseURL, email, VERIFY_SUBJECT))
  await banner.locator('button[type=submit]').click()
}

/**
 * An administrator as the app makes one: sign-up with an ADMIN_EMAILS address lands on a full
 * settings page (no admin yet), verifying the address signs the account out everywhere, and the
 * next sign-in gives the enrol-only page of an admin without a security key.
 */
export async function signUpAdmin (t: Test, page: Page, baseURL: string, email: string, password: string): Promise<void> {
  await signUp(page, email, password)
  t.notOk(await page.locator('h1[data-enroll-only]').count(), 'before its address is verified, the account is no admin')
  await verifyEmail(page, baseURL, email)
  const again = page.locator('#verify-email [data-action=sign-in-again]')
  await again.waitFor()
  t.match(await text(page, '#verify-email'), /Your account is an administrator account now/, 'verified: told to sign in again as an admin')
  await again.click()
  await page.waitForURL((url) => url.pathname === '/login')
  t.equal(await enterPassword(page, email, password), '/settings/security', 'the password alone: only to enrol a key')
}

/**
 * On an enrol-only settings page, after a security key or passkey was added: "Finish signing in"
 * opens the step-up dialog, the key proves it, and the page reloads as the full settings page.
 */
export async function finishSigningInWithKey (page: Page): Promise<void> {
  const finish = page.locator('#nudge [data-action=finish-enrolment]')
  await finish.waitFor()
  await finish.click()
  const dialog = page.locator('#step-up')
  await dialog.waitFor({ state: 'visible' })
  await Promise.all([
    page.waitForEvent('load'),
    dialog.locator('[data-action=step-up-key]').click()
  ])
  await page.locator('#sessions').waitFor()
}
