import { randomBytes } from 'node:crypto'
import t from 'tap'
import { eachStore, fakeClock } from '@fastify-mfa/testing'
import { createMemoryStore } from '@fastify-mfa/core'
import { buildTotpApp } from './helpers.js'

const noRequest = undefined as never

/** u1 with TOTP on, the clock ten steps past the confirm code, and `verify(offset)` for the code `offset` steps away. */
async function enabledTotp (t: Parameters<typeof buildTotpApp>[0], store: Parameters<typeof buildTotpApp>[1], build?: Parameters<typeof buildTotpApp>[2]) {
  const totp = await buildTotpApp(t, store, build)
  await totp.signInPassword()
  const secret = await totp.enable()
  totp.clock.advance(300)
  const factor = totp.app.mfa.factors.get('totp')!
  const verify = async (offset = 0) => await factor.verifyCode!('u1', await totp.codeFor(secret, offset), noRequest)
  return { ...totp, verify }
}

t.test('drift: one step each way is accepted, two are refused', async (t) => {
  await eachStore(t, async (t, store) => {
    const { clock, verify } = await enabledTotp(t, store)
    t.match(await verify(-2), { ok: false, reason: 'invalid' }, '2 steps behind')
    t.match(await verify(2), { ok: false, reason: 'invalid' }, '2 steps ahead')
    t.match(await verify(-1), { ok: true }, '1 step behind')
    clock.advance(300)
    t.match(await verify(1), { ok: true }, '1 step ahead')
  })
})

t.test('window: 0 accepts the current step only', async (t) => {
  await eachStore(t, async (t, store) => {
    const { verify } = await enabledTotp(t, store, { options: { window: 0 } })
    t.match(await verify(-1), { ok: false, reason: 'invalid' })
    t.match(await verify(), { ok: true })
  })
})

t.test('replay: a code is accepted once, and never an older step after a newer one', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, signInPassword, enable, codeFor, events } = await buildTotpApp(t, store)
    await signInPassword()
    const secret = await enable()
    const factor = app.mfa.factors.get('totp')!
    const confirmCode = await codeFor(secret)
    t.match(await factor.verifyCode!('u1', confirmCode, noRequest), { ok: false, reason: 'replay' }, 'the confirm code is spent too')
    clock.advance(30)
    const code = await codeFor(secret)
    t.same(await factor.verifyCode!('u1', code, noRequest), { ok: true, userId: 'u1', amr: ['otp'], aal: 2 })
    t.same(await factor.verifyCode!('u1', code, noRequest), { ok: false, reason: 'replay' }, 'same code again')
    t.same(await factor.verifyCode!('u1', ` ${code.slice(0, 3)} ${code.slice(3)} `, noRequest), { ok: false, reason: 'replay' }, 'same code with spaces')
    t.same(await factor.verifyCode!('u1', await codeFor(secret, -1), noRequest), { ok: false, reason: 'replay' }, 'older step, still inside the window')
    clock.advance(20)
    t.same(await factor.verifyCode!('u1', code, noRequest), { ok: false, reason: 'replay' }, 'next step, old code within drift')
    const replays = events.filter((e) => e.type === 'totp.replay')
    t.equal(replays.length, 5)
    t.match(replays[0], { userId: 'u1', method: 'totp' })
    t.notOk(JSON.stringify(replays).includes(code), 'the code is not in the event')
  })
})

t.test('replay: an unused older step is refused after a newer step was accepted', async (t) => {
  await eachStore(t, async (t, store) => {
    const { verify } = await enabledTotp(t, store)
    // Neither step has been used: the step ahead is accepted, then the current (older) step is refused.
    t.match(await verify(1), { ok: true }, 'newer step accepted')
    t.match(await verify(0), { ok: false, reason: 'replay' }, 'older, never used step refused')
    t.match(await verify(-1), { ok: false, reason: 'replay' }, 'two steps older refused')
  })
})

t.test('replay: 10 concurrent requests with the same code, exactly one succeeds', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, signInPassword, enable, codeFor } = await buildTotpApp(t, store)
    await signInPassword()
    const secret = await enable()
    clock.advance(30)
    const code = await codeFor(secret)
    const factor = app.mfa.factors.get('totp')!
    const results = await Promise.all(Array.from({ length: 10 }, async () => await factor.verifyCode!('u1', code, noRequest)))
    t.equal(results.filter((r) => r.ok).length, 1)
    t.equal(results.filter((r) => !r.ok && r.reason === 'replay').length, 9)
  })
})

t.test('replay across two app instances on one store', async (t) => {
  await eachStore(t, async (t, store) => {
    const clock = fakeClock()
    const memoryStore = store === 'memory' ? createMemoryStore() : undefined
    const encryptionKeys = [{ id: 'shared', key: randomBytes(32) }]
    const one = await buildTotpApp(t, store, { clock, memoryStore, encryptionKeys })
    const two = await buildTotpApp(t, store, { clock, memoryStore, encryptionKeys })
    await one.signInPassword()
    const secret = await one.enable()
    clock.advance(30)
    const code = await one.codeFor(secret)
    const factors = [one.app.mfa.factors.get('totp')!, two.app.mfa.factors.get('totp')!]
    const results = await Promise.all(Array.from({ length: 10 }, async (_, i) => await factors[i % 2]!.verifyCode!('u1', code, noRequest)))
    t.equal(results.filter((r) => r.ok).length, 1)
  })
})

t.test('confirm is single-use under concurrency', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, signInFresh, codeFor, events } = await buildTotpApp(t, store)
    await signInFresh() // fresh: every racer passes the guard and meets the store
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    const code = await codeFor(secret)
    const results = await Promise.all(Array.from({ length: 5 }, async () =>
      await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code } })))
    t.equal(results.filter((r) => r.statusCode === 200).length, 1)
    // The losers meet the spent time step (401) or the spent setup (400).
    t.ok(results.every((r) => [200, 400, 401].includes(r.statusCode)), results.map((r) => r.statusCode).join(','))
    t.equal(events.filter((e) => e.type === 'totp.enabled').length, 1)
    t.same(await app.mfa.factors.enrolled('u1'), ['totp'])
  })
})

t.test('verifyCode refuses malformed input and users without TOTP', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, signInPassword, enable } = await buildTotpApp(t, store)
    await signInPassword()
    await enable()
    const factor = app.mfa.factors.get('totp')!
    for (const code of ['12345', '1234567', 'abcdef', '']) {
      t.same(await factor.verifyCode!('u1', code, noRequest), { ok: false, reason: 'invalid' }, JSON.stringify(code))
    }
    t.same(await factor.verifyCode!('nobody', '123456', noRequest), { ok: false, reason: 'not_enrolled' })
  })
})
