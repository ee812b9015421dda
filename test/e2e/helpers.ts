import { execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createMongoStore } from '@fastify-mfa/core'
import { testDb } from '@fastify-mfa/testing'
import { buildApp } from 'host-app/dist/app.js'
import { loadConfig } from 'host-app/dist/config.js'

interface Teardown { teardown(fn: () => unknown): void }

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
export async function startApp (t: Teardown, env: Record<string, string> = {}): Promise<string> {
  const store = createMongoStore(await testDb(t))
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const app = await buildApp(loadConfig({ PORT: String(port), ORIGIN: origin, RP_ID: 'localhost', ...env }), { store, logger: false })
  t.teardown(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  return origin
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

/** A fresh browser profile with its own page, and a platform authenticator attached through CDP. */
export async function newUserAgent (browser: Browser, baseURL: string): Promise<{ context: BrowserContext, page: Page, authenticator: VirtualAuthenticator }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1100, height: 1400 }, acceptDownloads: true })
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
  constructor (readonly secret: string) {}

  static codeAt (secret: string, stepIndex: number): string {
    const at = new Date(stepIndex * 30_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
    return execFileSync('oathtool', ['--totp', '-b', '--now', at, secret], { encoding: 'utf8' }).trim()
  }

  nextCode (): string {
    const current = Math.floor(Date.now() / 30_000)
    // Near the end of a step, start from the step that is current when the request lands.
    const earliest = Math.floor((Date.now() + 3000) / 30_000) - 1
    const step = this.lastStep === null ? earliest : Math.max(this.lastStep + 1, earliest)
    if (step > current + 1) throw new Error('more TOTP codes asked for than one time step allows')
    this.lastStep = step
    return AuthenticatorApp.codeAt(this.secret, step)
  }

  /** A 6-digit code that is none of those the server accepts right now. */
  wrongCode (): string {
    const current = Math.floor(Date.now() / 30_000)
    const valid = new Set([-1, 0, 1, 2].map((d) => AuthenticatorApp.codeAt(this.secret, current + d)))
    let code = 123456
    while (valid.has(String(code))) code++
    return String(code)
  }
}
