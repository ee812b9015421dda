import { execFileSync } from 'node:child_process'
import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore, type MfaEvent, type MfaStore } from '@fastify-mfa/core'
// Brings mfa-login's additions to fastify.mfa (admin.reset) into the types.
import type {} from '@fastify-mfa/mfa-login'
import { buildApp } from 'host-app/dist/app.js'
import { loadConfig } from 'host-app/dist/config.js'

const oathtool = (secret: string, atMs: number) =>
  execFileSync('oathtool', ['--totp', '-b', '--now', new Date(atMs).toISOString().replace('T', ' ').replace(/\..*/, ' UTC'), secret], { encoding: 'utf8' }).trim()

/**
 * Secrets never reach logs, events or responses after setup: the whole life of two accounts runs
 * through the example app (enrolment, logins of every kind, wrong codes up to a lockout, a remembered
 * device, factor removal, admin reset) while every log line and audit event is kept, then searched
 * for every secret that passed by.
 */
await eachStore(t, async (t, db) => {
  const lines: string[] = []
  const store: MfaStore = db === 'memory' ? createMemoryStore() : createMongoStore(db)
  const app = await buildApp(loadConfig({ PORT: '3997' }), {
    store, logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } }
  })
  t.teardown(() => app.close())
  const events: MfaEvent[] = []
  app.mfa.on('*', (e) => { events.push(e) })
  await app.ready()
  const secrets = new Set<string>()
  const responses: string[] = []
  const browse = () => {
    const a = agent(app)
    return {
      jar: a.jar,
      async call (method: string, url: string, payload?: object) {
        const res = await a.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) })
        for (const value of a.jar.values()) secrets.add(value)
        return res
      }
    }
  }
  const t0 = Date.now()
  const setupAnswers: string[] = [] // the one place a secret is meant to appear

  async function enrolled (email: string, password: string) {
    secrets.add(password)
    const b = browse()
    await b.call('POST', '/api/signup', { email, password })
    await b.call('POST', '/auth/login', { login: email, password })
    const setupAnswer = (await b.call('POST', '/mfa/totp/setup', {})).body
    const setup = JSON.parse(setupAnswer)
    secrets.add(setup.secret)
    setupAnswers.push(setupAnswer)
    const code = oathtool(setup.secret, t0)
    secrets.add(code)
    const { backupCodes } = (await b.call('POST', '/mfa/totp/confirm', { code })).json() as { backupCodes: string[] }
    for (const c of backupCodes) secrets.add(c)
    await b.call('POST', '/auth/logout')
    return { secret: setup.secret as string, backupCodes }
  }

  const ada = await enrolled('ada@example.com', 'ada password 1')
  const b = browse()
  const step1 = (await b.call('POST', '/auth/login', { login: 'ada@example.com', password: 'ada password 1' })).json()
  secrets.add(step1.mfaToken)
  t.equal((await b.call('POST', '/auth/login/verify', { method: 'backup-code', code: ada.backupCodes[0]!, rememberDevice: true })).statusCode, 200)
  await b.call('POST', '/auth/logout')
  t.match((await b.call('POST', '/auth/login', { login: 'ada@example.com', password: 'ada password 1' })).json(), { step: 'complete' }, 'remembered device')
  const devices = (await b.call('GET', '/mfa/devices')).json() as Array<{ id: string }>
  responses.push(JSON.stringify(devices), (await b.call('GET', '/auth/events')).body, (await b.call('GET', '/auth/session')).body, (await b.call('GET', '/mfa')).body)
  await b.call('POST', '/auth/logout')
  const again = (await b.call('POST', '/auth/login', { login: 'ada@example.com', password: 'ada password 1' })).json()
  if (again.mfaToken) secrets.add(again.mfaToken)
  const next = oathtool(ada.secret, t0 + 30_000)
  secrets.add(next)
  // A fresh second factor (the remembered device alone is never fresh) to remove the factor.
  const viaCode = await b.call('POST', '/auth/step-up/verify', { method: 'totp', code: next })
  t.equal(viaCode.statusCode, 200)
  t.equal((await b.call('DELETE', `/mfa/devices/${devices[0]!.id}`)).statusCode, 204)
  t.equal((await b.call('DELETE', '/mfa/totp')).statusCode, 204)
  const adaId = (await b.call('GET', '/auth/session')).json().userId as string
  await app.mfa.admin.reset(adaId, { actor: 'support', reason: 'test' })

  const bob = await enrolled('bob@example.com', 'bob password 2')
  const c = browse()
  const bobStep = (await c.call('POST', '/auth/login', { login: 'bob@example.com', password: 'bob password 2' })).json()
  secrets.add(bobStep.mfaToken)
  const codes: number[] = []
  for (let i = 0; i < 5; i++) {
    const wrong = String((Number(oathtool(bob.secret, t0)) + 1 + i) % 1_000_000).padStart(6, '0')
    secrets.add(wrong)
    codes.push((await c.call('POST', '/auth/login/verify', { method: 'totp', code: wrong })).statusCode)
  }
  t.same(codes, [401, 401, 401, 401, 423], 'locked after five wrong codes')
  await c.call('POST', '/auth/login', { login: 'bob@example.com', password: 'wrong password 3' })
  secrets.add('wrong password 3')

  const types = new Set(events.map((e) => e.type))
  for (const type of ['totp.enabled', 'backup_codes.used', 'device.remembered', 'device.used', 'device.revoked', 'totp.disabled',
    'security_stamp.changed', 'recovery.admin_reset', 'mfa.code_refused', 'login.locked', 'login.password_failed', 'login.success', 'logout']) {
    t.ok(types.has(type), `event ${type} was emitted`)
  }
  const stored = JSON.stringify(await store.collection('mfa_events').find({}))
  const haystacks = { 'log lines': lines.join('\n'), 'event hooks': JSON.stringify(events), 'stored events': stored, responses: responses.join('\n') }
  const findable = [...secrets].filter((s) => s.length >= 6)
  t.ok(findable.some((secret) => setupAnswers[0]!.includes(secret)), 'the search finds a secret where one is (the setup answer)')
  for (const secret of findable) {
    for (const [where, text] of Object.entries(haystacks)) {
      if (text.includes(secret)) t.fail(`a secret (${secret.slice(0, 3)}…, ${secret.length} chars) appears in ${where}`)
    }
  }
  t.ok(lines.length > 50 && secrets.size > 25, `searched ${lines.length} log lines for ${secrets.size} secrets`)
})
