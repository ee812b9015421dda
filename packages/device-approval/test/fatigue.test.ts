import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { SecurityNotification } from '@fastify-mfa/core'
import { buildApprovalApp, otherThan } from './helpers.js'

t.test('at most 3 requests per 10 minutes per account (sliding): the fourth gets 429 with Retry-After', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, clock, events } = await buildApprovalApp(t, store)
    await approver()
    const one = await signer()
    t.equal((await start(one.a)).statusCode, 200)
    clock.advance(60)
    const two = await signer()
    t.equal((await start(two.a)).statusCode, 200)
    t.equal((await start(two.a)).statusCode, 200, 'a restart of a login counts too')
    clock.advance(60)
    const fourth = await start((await signer()).a)
    t.equal(fourth.statusCode, 429)
    t.match(fourth.json(), { code: 'FST_MFA_RATE_LIMITED', retryAfter: 480 })
    t.equal(fourth.headers['retry-after'], '480')
    t.match(events.find((e) => e.type === 'device-approval.throttled'), { userId: 'alice', details: { reason: 'requests', retryAfter: 480 } })
    t.equal((await start((await signer('bob')).a)).statusCode, 403, 'another account is not held back by alice\'s limit (bob has no approver: 403)')
    clock.advance(480)
    const later = await signer() // the first logins have expired by now (5 minutes)
    const freed = await start(later.a)
    t.equal(freed.statusCode, 200, `the first request's slot is free again 10 minutes after it: ${freed.body}`)
    t.equal((await start(later.a)).statusCode, 429, 'the next two are still held')
  })
})

t.test('three denials in a row pause requests for 15 minutes, end the open ones and notify the user', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, approver, signer, start, verify, approve, deny, clock, events } = await buildApprovalApp(t, store, { options: { maxRequests: 10 } })
    const notified: SecurityNotification[] = []
    app.mfa.notifications.addChannel(async (n) => { notified.push(n) })
    const phone = await approver()
    const { a } = await signer()
    const other = await signer()
    const open = (await start(other.a)).json()
    const first = (await start(a)).json()
    t.match((await deny(phone, first.requestId)).json(), { locked: false })
    const second = (await start(a)).json()
    t.match((await approve(phone, second.requestId, otherThan(second.number))).json(), { reason: 'wrong_number', locked: false })
    const third = (await start(a)).json()
    t.same((await deny(phone, third.requestId)).json(), { status: 'denied', reason: 'denied', locked: true })
    t.match(events.find((e) => e.type === 'device-approval.locked'), { userId: 'alice', details: { seconds: 900, denials: 3 } })
    t.match(notified, [{ type: 'approvals_locked', userId: 'alice', details: { seconds: 900, denials: 3 } }])
    t.match((await verify(other.a, open.requestId)).json(), { code: 'FST_MFA_LOGIN_EXPIRED' }, 'the pause ended the other open request')
    const paused = await start(a)
    t.match(paused.json(), { statusCode: 429, code: 'FST_MFA_RATE_LIMITED', retryAfter: 900 })
    t.equal(paused.headers['retry-after'], '900')
    clock.advance(900)
    const after = (await start((await signer()).a)).json()
    t.ok(after.requestId, 'after 15 minutes')
    t.match((await deny(phone, after.requestId)).json(), { locked: false }, 'a new run starts after the pause')
  })
})

t.test('an approval ends the run of denials', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, approve, deny } = await buildApprovalApp(t, store, { options: { maxRequests: 10 } })
    const phone = await approver()
    const { a } = await signer()
    for (let i = 0; i < 2; i++) await deny(phone, (await start(a)).json().requestId)
    const ok = (await start(a)).json()
    t.equal((await approve(phone, ok.requestId, ok.number)).statusCode, 200)
    for (let i = 0; i < 2; i++) t.match((await deny(phone, (await start(a)).json().requestId)).json(), { locked: false }, `denial ${i + 1} of a new run`)
    t.match((await deny(phone, (await start(a)).json().requestId)).json(), { locked: true }, 'the third of the new run')
  })
})

t.test('racing denials on several requests take one lock', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, deny, events } = await buildApprovalApp(t, store, { options: { maxRequests: 10 } })
    const phone = await approver()
    const ids = []
    for (let i = 0; i < 4; i++) ids.push((await start((await signer()).a)).json().requestId as string)
    const answers = await Promise.all(ids.map(async (id) => (await deny(phone, id)).json()))
    t.ok(answers.filter((a) => a.locked === true).length <= 1, JSON.stringify(answers))
    t.equal(events.filter((e) => e.type === 'device-approval.locked').length, 1)
  })
})
