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
 * How the browser's password manager answers a conditional create (the login page's automatic
 * passkey upgrade, `startRegistration({ useAutoRegister: true })`). Chromium hands such a request to
 * Google Password Manager only (device/fido's MakeCredentialRequestHandler drops every transport for
 * a passkey upgrade request and asks the GPM enclave alone), which a test profile does not have: the
 * CDP virtual authenticator never sees it, and the request waits until it times out. An init script
 * stands in for the password manager:
 * - `declines` (default): rejects at once with NotAllowedError, as a password manager that saves no
 *   passkeys does;
 * - `saves`: creates the passkey on the virtual authenticator, with no dialog (headless Chromium
 *   shows none) and, after `authenticator.silentCreation(true)`, with the UP and UV flags clear like
 *   a password manager's silent creation;
 * - `chromium`: leaves the request to Chromium itself (it waits for Google Password Manager).
 * `setPasswordManager` changes it for the pages of the origin open later.
 */
export type PasswordManager = 'declines' | 'saves' | 'chromium'

/** What the page's WebAuthn calls did, as the init script of `newUserAgent` saw them (across page loads). */
export interface PageCall {
  /**
   * `signalAllAcceptedCredentials`, `signalCurrentUserDetails`, `signalUnknownCredential`;
   * `conditionalCreate` (asked), `conditionalCreated` (saved); `conditionalGet` (the passkey
   * autofill asked) and `conditionalGetSettled` (it ended).
   */
  name: string
  arg: any
}

export async function setPasswordManager (page: Page, mode: PasswordManager): Promise<void> {
  await page.evaluate((mode) => localStorage.setItem('e2e.passwordManager', mode), mode)
}

/**
 * A fresh browser profile with its own page, and an authenticator attached through CDP (a platform
 * one unless `setup.authenticator` says otherwise). `options` go to the context (e.g. `userAgent`,
 * for a device the sessions list names differently). `calls` lists the Signal API calls and the
 * conditional creates of its pages (see `PageCall`).
 */
export async function newUserAgent (browser: Browser, baseURL: string, options: BrowserContextOptions = {},
  setup: { authenticator?: AuthenticatorOptions, passwordManager?: PasswordManager } = {}): Promise<{ context: BrowserContext, page: Page, authenticator: VirtualAuthenticator, calls: PageCall[] }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1100, height: 1400 }, acceptDownloads: true, ...options })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL })
  const calls: PageCall[] = []
  await context.exposeFunction('__e2eRecord', (name: string, arg: unknown) => { calls.push({ name, arg }) })
  await context.addInitScript(pageShims, setup.passwordManager ?? 'declines')
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  if (process.env.E2E_DEBUG) {
    page.on('console', (msg) => { if (msg.type() === 'error') process.stderr.write(`[browser] ${msg.text()}\n`) })
    page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.message}\n`))
    page.on('response', (res) => {
      if (res.status() >= 400) void res.text().then((body) => process.stderr.write(`[${res.status()}] ${res.request().method()} ${res.url()} ${body.slice(0, 300)}\n`), () => {})
    })
  }
  const authenticator = await VirtualAuthenticator.attach(context, page, setup.authenticator)
  return { context, page, authenticator, calls }
}

/**
 * Runs in every page before its scripts: records the Signal API calls (wrapping the functions, which
 * go on to Chromium and so to the virtual authenticator) and plays the password manager for
 * conditional creates (see `PasswordManager`).
 */
function pageShims (defaultMode: PasswordManager): void {
  const record = (name: string, arg: unknown): void => { void (window as unknown as { __e2eRecord(n: string, a: unknown): Promise<void> }).__e2eRecord(name, arg) }
  const pkc = window.PublicKeyCredential as unknown as Record<string, ((options: unknown) => Promise<void>) | undefined> | undefined
  for (const name of ['signalAllAcceptedCredentials', 'signalCurrentUserDetails', 'signalUnknownCredential']) {
    const original = pkc?.[name]
    if (pkc && typeof original === 'function') {
      pkc[name] = function (this: unknown, options: unknown) { record(name, options); return original.call(this, options) }
    }
  }
  const container = navigator.credentials
  const get = container.get.bind(container)
  container.get = async function (options?: CredentialRequestOptions) {
    if (options?.mediation !== 'conditional') return await get(options)
    record('conditionalGet', {})
    try { return await get(options) } finally { record('conditionalGetSettled', {}) }
  }
  const create = container.create.bind(container)
  container.create = async function (options?: CredentialCreationOptions) {
    if ((options as { mediation?: string } | undefined)?.mediation !== 'conditional') return await create(options)
    const mode = (localStorage.getItem('e2e.passwordManager') as PasswordManager | null) ?? defaultMode
    record('conditionalCreate', { mode })
    if (mode === 'chromium') return await create(options)
    if (mode === 'declines') throw new DOMException('No passkey is saved here', 'NotAllowedError')
    const { mediation: _mediation, ...modal } = options as CredentialCreationOptions & { mediation: string }
    const credential = await create(modal) as PublicKeyCredential | null
    const response = credential?.response as AuthenticatorAttestationResponse | undefined
    record('conditionalCreated', { id: credential?.id, flags: response ? new Uint8Array(response.getAuthenticatorData())[32] : null })
    return credential
  }
}

/**
 * The kind of authenticator: `internal` is the device's own (a password manager or platform
 * authenticator; Chromium takes one per page), `usb` a security key. `backupEligible` sets the BE
 * and BS flags of its credentials (`defaultBackupEligibility` / `defaultBackupState`): a synced
 * passkey; off, a device-bound key.
 */
export interface AuthenticatorOptions { transport?: 'internal' | 'usb', backupEligible?: boolean }

type CdpSession = Awaited<ReturnType<BrowserContext['newCDPSession']>>

/**
 * "Sign in with a passkey" on the login page, answered by `authenticator` (any other one of the page
 * must not simulate presence). The page's passkey autofill (conditional mediation, where Chromium
 * offers it) starts on load,
 * and an authenticator that simulates presence would answer it by itself, racing the button: so
 * `authenticator` stays untouched until the autofill request is made, the request is dismissed (as
 * the button does, through @simplewebauthn's abort service), and only then is the button clicked.
 */
export async function clickSignInWithPasskey (page: Page, calls: PageCall[], authenticator: VirtualAuthenticator): Promise<void> {
  await authenticator.userPresent(false)
  const seen = calls.length
  const recorded = async (name: string): Promise<void> => {
    for (let i = 0; i < 200 && !calls.slice(seen).some((c) => c.name === name); i++) await new Promise((resolve) => setTimeout(resolve, 25))
    if (!calls.slice(seen).some((c) => c.name === name)) throw new Error(`the login page made no ${name}`)
  }
  await page.goto('/login')
  // Chromium offers the autofill only with a platform authenticator (a security key alone has none).
  if (await page.evaluate(async () => await PublicKeyCredential.isConditionalMediationAvailable?.() === true)) {
    await recorded('conditionalGet')
    await page.evaluate(() => { (window as unknown as { SimpleWebAuthnBrowser: { WebAuthnAbortService: { cancelCeremony(): void } } }).SimpleWebAuthnBrowser.WebAuthnAbortService.cancelCeremony() })
    await recorded('conditionalGetSettled')
  }
  await authenticator.userPresent(true)
  await page.click('[data-action=passkey]')
}

/** The Chrome DevTools Protocol WebAuthn domain standing in for a passkey-capable device. */
export class VirtualAuthenticator {
  private constructor (private readonly cdp: CdpSession, readonly id: string) {}

  static async attach (context: BrowserContext, page: Page, options: AuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
    const cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    return await VirtualAuthenticator.add(cdp, options)
  }

  private static async add (cdp: CdpSession, { transport = 'internal', backupEligible = false }: AuthenticatorOptions): Promise<VirtualAuthenticator> {
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport,
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        defaultBackupEligibility: backupEligible,
        defaultBackupState: backupEligible
      }
    })
    return new VirtualAuthenticator(cdp, authenticatorId)
  }

  /** A second authenticator on the same page (a security key plugged in beside the device's own). */
  async another (options: AuthenticatorOptions): Promise<VirtualAuthenticator> {
    return await VirtualAuthenticator.add(this.cdp, options)
  }

  /**
   * On: the authenticator's answers have the UP and UV flags clear, as when a password manager
   * creates a passkey silently (no gesture, nobody verified). Off: the flags are as usual.
   */
  async silentCreation (enabled: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId: this.id, isBadUP: enabled, isBadUV: enabled })
  }

  /**
   * Whether the user touches the authenticator when asked. Off, a request waits like a real one
   * would: the login page's passkey autofill (conditional mediation) then stays pending instead of
   * signing in by itself.
   */
  async userPresent (enabled: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: this.id, enabled })
  }

  async credentials (): Promise<Array<{ credentialId: string, isResidentCredential: boolean, rpId?: string, signCount: number, backupEligibility?: boolean, userName?: string }>> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id })).credentials
  }

  /** The ids of the credentials it holds, base64url as the server and the Signal API write them. */
  async credentialIds (): Promise<string[]> {
    return (await this.credentials()).map((c) => Buffer.from(c.credentialId, 'base64').toString('base64url'))
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
