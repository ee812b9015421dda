import { execFileSync } from 'node:child_process'
import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { buildApp } from 'host-app/dist/app.js'
import { loadConfig } from 'host-app/dist/config.js'

/** What an authenticator app shows at `atMs` (oathtool, like a phone would compute it). */
const oathtool = (secret: string, atMs: number) =>
  execFileSync('oathtool', ['--totp', '-b', '--now', new Date(atMs).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim()

await eachStore(t, async (t, store) => {
  const app = await buildApp(loadConfig({ PORT: '3998' }), { store: store === 'memory' ? createMemoryStore() : createMongoStore(store), logger: false })
  t.teardown(() => app.close())
  await app.ready()
  const browser = agent(app)
  const email = 'ada@example.com'
  const password = 'correct horse battery'

  await browser.inject({ method: 'POST', url: '/api/signup', payload: { email, password } })
  t.match((await browser.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password } })).json(), { step: 'complete', aal: 1 })

  const setup = (await browser.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
  t.match(setup.otpauthUrl, /^otpauth:\/\/totp\//)
  // Codes are computed from one instant, so crossing a 30 s boundary mid-test changes nothing.
  const t0 = Date.now()
  const confirm = await browser.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: oathtool(setup.secret, t0) } })
  t.equal(confirm.statusCode, 200)
  t.equal(confirm.json().backupCodes.length, 10, 'the first factor comes with backup codes')
  t.equal((await browser.inject({ method: 'POST', url: '/auth/logout' })).statusCode, 204)

  const step1 = (await browser.inject({ method: 'POST', url: '/auth/login', payload: { login: email, password } })).json()
  t.match(step1, { step: 'mfa', methods: ['backup-code', 'totp'] })
  const replay = await browser.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: oathtool(setup.secret, t0) } })
  t.equal(replay.json().code, 'FST_MFA_INVALID_CODE', 'the code used to confirm cannot sign in again')
  // The next time step's code (one step of drift is allowed) is new.
  const ok = await browser.inject({ method: 'POST', url: '/auth/login/verify', payload: { method: 'totp', code: oathtool(setup.secret, t0 + 30_000) } })
  t.match(ok.json(), { step: 'complete', aal: 2 })
  t.match((await browser.inject({ url: '/auth/session' })).json(), { aal: 2, amr: ['pwd', 'otp', 'mfa'], methods: ['backup-code', 'totp'] })

  const events = (await browser.inject({ url: '/auth/events' })).json() as Array<{ type: string }>
  t.ok(events.some((e) => e.type === 'totp.enabled'), 'enrolment is audited')
  t.ok(events.some((e) => e.type === 'login.success'), 'the login is audited')
  t.notMatch(JSON.stringify(events), setup.secret, 'no secret in events')
})
