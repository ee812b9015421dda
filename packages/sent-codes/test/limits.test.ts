import { randomBytes } from 'node:crypto'
import t from 'tap'
import { eachStore, fakeClock, freshStore, storeKinds } from '@fastify-mfa/testing'
import { createMemoryStore } from '@fastify-mfa/core'
import { errorDetails } from '@fastify-mfa/core/plugin-kit'
import { codeKey } from '../src/store.js'
import type { SendSlotDocument } from '../src/types.js'
import { buildSentCodesApp, PHONE } from './helpers.js'
import { startSmtp } from './smtp.js'

/** The `retryAfter` a refused send carries (null when it was not refused). */
async function refusedFor (send: Promise<unknown>): Promise<number | null> {
  try {
    await send
    return null
  } catch (err) {
    if ((err as { code?: string }).code !== 'FST_MFA_RATE_LIMITED') throw err
    return errorDetails(err).retryAfter as number
  }
}

const login = (binding: string) => ({ purpose: 'login', binding } as const)

t.test('one send per 30 s per binding: 429 with retryAfter, over the route too', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, clock, signInPassword, enrolSms, send, sms } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    const setup = await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    t.equal(setup.statusCode, 200)
    const again = await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    t.match(again.json(), { statusCode: 429, code: 'FST_MFA_RATE_LIMITED', retryAfter: 30 })
    t.equal(again.headers['retry-after'], '30')
    t.equal(sms.length, 1, 'nothing sent')
    clock.advance(30)
    await enrolSms()

    t.equal(await refusedFor(send('sms-otp', login('p1'))), null)
    t.equal(await refusedFor(send('sms-otp', login('p1'))), 30)
    clock.advance(29)
    t.equal(await refusedFor(send('sms-otp', login('p1'))), 1)
    t.equal(await refusedFor(send('sms-otp', login('p2'))), null, 'another login is not held back')
    clock.advance(1)
    t.equal(await refusedFor(send('sms-otp', login('p1'))), null, 'after 30 s')
  })
})

t.test('at most perBinding sends per login; refused sends do not count', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const clock = fakeClock(Date.UTC(2030, 0, 1, 10, 0, 0))
    const { signInPassword, enrolSms, send } = await buildSentCodesApp(t, store, smtp, { clock })
    await signInPassword()
    await enrolSms()
    for (let i = 0; i < 5; i++) {
      t.equal(await refusedFor(send('sms-otp', login('p1'))), null, `send ${i + 1}`)
      if (i < 4) t.equal(await refusedFor(send('sms-otp', login('p1'))), 30, 'too soon: refused, not counted')
      clock.advance(30)
    }
    t.equal(await refusedFor(send('sms-otp', login('p1'))), 3600 - 150, 'the sixth waits for the next hour')
    t.equal(await refusedFor(send('sms-otp', login('p2'))), null, 'another login')
  })
})

t.test('at most perAccountPerHour sends per account, over every binding and both methods', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const clock = fakeClock(Date.UTC(2030, 0, 1, 10, 0, 0))
    const { signInPassword, signInFresh, enrolSms, enrolEmail, send } = await buildSentCodesApp(t, store, smtp, { clock })
    await signInPassword()
    await enrolSms() // send 1 (setup)
    await signInFresh()
    await enrolEmail() // send 2
    for (let i = 3; i <= 10; i++) t.equal(await refusedFor(send(i % 2 ? 'sms-otp' : 'email-otp', login(`p${i}`))), null, `send ${i}`)
    t.equal(await refusedFor(send('sms-otp', login('p11'))), 3600, 'the eleventh in the hour')
    t.equal(await refusedFor(send('email-otp', login('p12'))), 3600)
    clock.advance(3600)
    t.equal(await refusedFor(send('sms-otp', login('p13'))), null, 'next hour')
  })
})

t.test('at most perAddressPerHour sends to one phone number, across accounts', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { signInPassword, enrolSms, send } = await buildSentCodesApp(t, store, smtp, { options: { sendLimits: { perAddressPerHour: 3 } } })
    await signInPassword('u1')
    await enrolSms()
    await signInPassword('u2')
    await enrolSms()
    t.equal(await refusedFor(send('sms-otp', login('a'), 'u1')), null)
    t.ok(await refusedFor(send('sms-otp', login('b'), 'u2')), 'the fourth code to the number')
  })
})

t.test('a send refused by one limit uses up none of the others', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { user, signInPassword, enrolSms, raw } = await buildSentCodesApp(t, store, smtp, { options: { sendLimits: { perAddressPerHour: 1 } } })
    await signInPassword('u1')
    await enrolSms() // the number's one send this hour
    await signInPassword('u2')
    const refused = await user.inject({ method: 'POST', url: '/mfa/sms-otp/setup', payload: { phone: PHONE } })
    t.match(refused.json(), { statusCode: 429, code: 'FST_MFA_RATE_LIMITED' }, 'the number had its send')
    t.same((await raw('sent_code_sends')).filter((slot) => slot.userId === 'u2'), [], 'u2 holds no slot: neither its account\'s nor the setup\'s')
  })
})

t.test('of racing sends for one binding the first in (time, id) order goes on: a later claim does not hold it back', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { app, signInPassword, enrolSms, send, raw } = await buildSentCodesApp(t, store, smtp)
    await signInPassword()
    await enrolSms()
    // A send on another instance that claimed slot 2 of this binding at the same instant, still in flight.
    const bucket = `b:${codeKey('sms-otp', 'u1', 'login', 'p1')}`
    const hour = Math.floor(app.mfa.now() / 3_600_000)
    const sends = app.mfa.store.collection<SendSlotDocument>('mfa_sent_code_sends')
    await sends.insertOne({ _id: `${bucket}:${hour}:2`, bucket, userId: 'u1', at: new Date(app.mfa.now()), expiresAt: new Date(app.mfa.now() + 3_600_000) })
    t.equal(await refusedFor(send('sms-otp', login('p1'))), null, 'slot 1 came first')
    await sends.insertOne({ _id: `${bucket}:${hour}:0`, bucket, userId: 'u1', at: new Date(app.mfa.now() - 1), expiresAt: new Date(app.mfa.now() + 3_600_000) })
    await sends.deleteOne({ _id: `${bucket}:${hour}:1` })
    t.equal(await refusedFor(send('sms-otp', login('p1'))), 30, 'an earlier send holds it back')
    t.ok((await raw('sent_code_sends')).every((s) => s._id !== `${bucket}:${hour}:1`), 'the refused send gave its slot back')
  })
})

for (const kind of storeKinds()) {
  t.test(`${kind} store: the limits hold across two app instances on one store, also for sends racing`, async (t) => {
    const smtp = await startSmtp(t)
    const shared = kind === 'memory' ? createMemoryStore() : await freshStore(t, kind)
    const encryptionKeys = [{ id: 'shared', key: randomBytes(32) }]
    const clock = fakeClock(Date.UTC(2030, 0, 1, 10, 0, 0))
    const a = await buildSentCodesApp(t, shared, smtp, { clock, encryptionKeys })
    const b = await buildSentCodesApp(t, shared, smtp, { clock, encryptionKeys })
    await a.signInPassword()
    await a.enrolSms() // send 1
    t.equal(await refusedFor(b.send('sms-otp', login('p1'))), null, 'B sends for the factor enrolled on A')
    t.equal(await refusedFor(a.send('sms-otp', login('p1'))), 30, 'A sees B\'s send')
    t.same(await b.factor('sms-otp').verifyCode!('u1', b.smsCode(), undefined as never, login('p1')), { ok: true, userId: 'u1', amr: ['otp', 'sms'], aal: 2 })

    const sameBinding = await Promise.all([a, b, a, b, a, b].map(async (app) => await refusedFor(app.send('sms-otp', login('p2')))))
    t.equal(sameBinding.filter((r) => r === null).length, 1, `one send per interval: ${JSON.stringify(sameBinding)}`)

    const bindings = Array.from({ length: 12 }, (_, i) => `q${i}`)
    const racing = await Promise.all(bindings.map(async (binding, i) => await refusedFor((i % 2 ? a : b).send('sms-otp', login(binding)))))
    t.equal(racing.filter((r) => r === null).length, 7, `10 an hour for the account (3 used before): ${JSON.stringify(racing)}`)
    t.equal(a.sms.length + b.sms.length, 10)
  })
}
