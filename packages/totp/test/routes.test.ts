import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildTotpApp } from './helpers.js'

t.test('setup then confirm enables TOTP; the secret is stored only encrypted', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, raw, signInPassword, codeFor, events } = await buildTotpApp(t, store, { options: { accountName: async () => 'ada@example.com' } })
    await signInPassword()
    const res = await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], 'no-store')
    const body = res.json()
    t.match(body, { secret: /^[A-Z2-7]{32}$/, otpauthUrl: /^otpauth:\/\/totp\/Example:ada%40example\.com\?secret=[A-Z2-7]{32}&issuer=Example$/, qrCodeDataUrl: /^data:image\/png;base64,/ })
    t.equal(new Date(body.expiresAt).getTime(), app.mfa.now() + 600_000, 'setup expires after 10 minutes')
    t.equal((await user.inject({ url: '/mfa' })).json().totp, false, 'not active before confirm')
    t.equal(await app.mfa.factors.get('totp')!.isEnrolled('u1'), false)

    const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(body.secret) } })
    t.equal(confirm.statusCode, 200)
    t.same(confirm.json(), { enabled: true })
    t.equal((await user.inject({ url: '/mfa' })).json().totp, true)
    t.same(await app.mfa.factors.enrolled('u1'), ['totp'])
    t.same((await app.mfa.stats()).byMethod, { totp: 1 })
    t.match(events.map((e) => e.type), ['totp.setup_started', 'totp.enabled'])

    const stored = JSON.stringify([...await raw('totp'), ...await raw('totp_setups'), ...await raw('totp_steps'), ...await raw('events')])
    t.notOk(stored.includes(body.secret), 'no plaintext secret in any stored document')
    const [secretDoc] = await raw('totp')
    t.match(secretDoc, { _id: 'u1', secret: { v: 1, kid: 'test', iv: String, tag: String, ct: String } })
    t.same(await raw('totp_setups'), [], 'the setup is spent')
  })
})

t.test('a stored secret copied to another user does not open for that user (bound to the user id)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, signInPassword, enable, codeFor } = await buildTotpApp(t, store)
    await signInPassword()
    const secret = await enable()
    // Two steps on, the step confirm used is outside the window: no chance collision with it reads as a replay.
    clock.advance(60)
    const secrets = app.mfa.collection<{ _id: string, secret: unknown, secretRef: string, enabledAt: Date }>('totp')
    const doc = await secrets.findOne({ _id: 'u1' })
    t.ok(doc)
    await secrets.updateOne({ _id: 'u2' }, { $set: { secret: doc!.secret, secretRef: 'copied', enabledAt: doc!.enabledAt } }, { upsert: true })
    const factor = app.mfa.factors.get('totp')!
    const code = await codeFor(secret)
    await t.rejects(factor.verifyCode!('u2', code, undefined as never), { code: 'FST_MFA_SECRET_DECRYPTION' }, 'the copied ciphertext fails to open for u2')
    t.match(await factor.verifyCode!('u1', code, undefined as never), { ok: true }, 'it still opens for its own user')
  })
})

t.test('confirm returns backup codes when the backup-codes plugin issues them', async (t) => {
  await eachStore(t, async (t, store) => {
    const issued: string[] = []
    const recoveryCodes = { issueIfNone: async (userId: string) => { issued.push(userId); return ['aaaa-bbbb', 'cccc-dddd'] }, remove: async () => {} }
    const { user, signInPassword, codeFor } = await buildTotpApp(t, store, { recoveryCodes })
    await signInPassword()
    const setupRes = await user.inject({ method: 'POST', url: '/mfa/totp/setup' })
    t.equal(setupRes.statusCode, 200, 'setup takes no body at all')
    const setup = setupRes.json()
    const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(setup.secret) } })
    t.same(confirm.json(), { enabled: true, backupCodes: ['aaaa-bbbb', 'cccc-dddd'] })
    t.same(issued, ['u1'])
  })
})

t.test('a wrong confirm code answers 401 and leaves TOTP disabled', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, signInPassword, codeFor, events } = await buildTotpApp(t, store)
    await signInPassword()
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    const right = await codeFor(secret)
    const wrong = right === '000000' ? '111111' : '000000'
    const res = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: wrong } })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { code: 'FST_MFA_INVALID_CODE' })
    t.equal(await app.mfa.factors.get('totp')!.isEnrolled('u1'), false)
    t.equal((await user.inject({ url: '/mfa' })).json().totp, false)
    t.ok(events.some((e) => e.type === 'totp.confirm_refused'))
    // The setup is still pending: the right code works afterwards.
    const ok = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: `${right.slice(0, 3)} ${right.slice(3)}` } })
    t.equal(ok.statusCode, 200, 'spaces are trimmed')
  })
})

t.test('setup expires after setupTtl', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, clock, signInPassword, codeFor } = await buildTotpApp(t, store, { options: { setupTtl: 120 } })
    await signInPassword()
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    clock.advance(121)
    await signInPassword()
    const res = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(secret) } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'FST_MFA_SETUP_EXPIRED' })
    t.equal(await app.mfa.factors.get('totp')!.isEnrolled('u1'), false)
    const none = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: '123456' } })
    t.match(none.json(), { code: 'FST_MFA_SETUP_EXPIRED' }, 'confirm without a setup')
  })
})

t.test('the route schema refuses non-digits and wrong lengths with 400, changing nothing', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, signInPassword, codeFor, events } = await buildTotpApp(t, store)
    await signInPassword()
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    const before = events.length
    for (const code of ['12345', '1234567', '12345a', '12-456', '', '１２３４５６', null]) {
      const res = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code } })
      t.equal(res.statusCode, 400, `code ${JSON.stringify(code)}`)
    }
    const extra = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(secret), admin: true } })
    t.equal(extra.statusCode, 400, 'unknown fields')
    t.equal(events.length, before, 'no verification attempt was made')
    const ok = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(secret) } })
    t.equal(ok.statusCode, 200)
  })
})

t.test('routes need a signed-in session', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user } = await buildTotpApp(t, store)
    for (const [method, url] of [['POST', '/mfa/totp/setup'], ['POST', '/mfa/totp/confirm'], ['DELETE', '/mfa/totp']] as const) {
      const res = await user.inject({ method, url, ...(method === 'POST' ? { payload: url.endsWith('confirm') ? { code: '123456' } : {} } : {}) })
      t.equal(res.statusCode, 401, `${method} ${url}`)
      t.equal(res.json().code, 'FST_MFA_UNAUTHENTICATED')
    }
  })
})

t.test('replacing an active secret needs a fresh factor, retires the old secret and bumps the stamp', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, clock, signInPassword, signInFresh, codeFor, enable } = await buildTotpApp(t, store)
    await signInPassword()
    const oldSecret = await enable()
    const stale = await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })
    t.equal(stale.statusCode, 403)
    t.match(stale.json(), { code: 'FST_MFA_STEP_UP_REQUIRED', methods: ['totp'] })

    const stamp = await app.mfa.users.securityStamp('u1')
    clock.advance(30)
    await signInFresh()
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    t.not(secret, oldSecret)
    const factor = app.mfa.factors.get('totp')!
    t.equal((await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(secret) } })).statusCode, 200)
    t.not(await app.mfa.users.securityStamp('u1'), stamp, 'remembered devices of the old secret stop working')
    clock.advance(30)
    t.match(await factor.verifyCode!('u1', await codeFor(oldSecret), undefined as never), { ok: false, reason: 'invalid' }, 'old secret refused')
    t.match(await factor.verifyCode!('u1', await codeFor(secret), undefined as never), { ok: true }, 'new secret works')
  })
})

t.test('the prefix option moves the routes', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, signInPassword } = await buildTotpApp(t, store, { options: { prefix: '/account/2fa' } })
    await signInPassword()
    t.equal((await user.inject({ method: 'POST', url: '/account/2fa/totp/setup', payload: {} })).statusCode, 200)
    t.equal((await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).statusCode, 404)
  })
})
