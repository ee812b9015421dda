import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApprovalApp } from './helpers.js'

t.test('who may approve: AAL 2, not enrol-only, the same user, a session still recorded', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, approver, signer, start, approve, deny, list } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()

    const passwordOnly = await approver('alice', { aal: 1, amr: ['pwd'], mfaTime: undefined, checks: {} })
    t.match((await approve(passwordOnly, requestId, number)).json(), { statusCode: 403, code: 'FST_MFA_REQUIRED' }, 'AAL 1')
    t.equal((await list(passwordOnly)).statusCode, 403)
    const enrolling = await approver('alice', { enrollOnly: true })
    t.match((await approve(enrolling, requestId, number)).json(), { statusCode: 403, code: 'FST_MFA_ENROLLMENT_REQUIRED' }, 'enrol-only')
    t.match((await approve(a, requestId, number)).json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' }, 'the pending login itself')
    const bob = await approver('bob')
    t.match((await approve(bob, requestId, number)).json(), { statusCode: 404, code: 'FST_MFA_NOT_FOUND' }, 'another user: not found, like an unknown id')
    t.equal((await deny(bob, requestId)).statusCode, 404)
    t.same((await list(bob)).json(), [], 'another user sees none of it')
    t.equal((await approve(phone, 'A'.repeat(22), number)).statusCode, 404, 'unknown id')

    // A session whose record went (signed out on another instance) cannot decide, whatever its cookie says.
    const laptop = await approver()
    const own = ((await laptop.inject({ url: '/mfa/sessions' })).json() as Array<{ id: string, current: boolean }>).find((s) => s.current)!
    await app.mfa.store.collection('mfa_sessions').deleteOne({ _id: own.id })
    t.match((await approve(laptop, requestId, number)).json(), { statusCode: 401, code: 'FST_MFA_UNAUTHENTICATED' }, 'an ended session')
    t.equal((await approve(phone, requestId, number)).statusCode, 200, 'the phone still may')
  })
})

t.test('a step-up is never approved by the session asking for it', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, post, approve, list, clock } = await buildApprovalApp(t, store)
    const laptop = await approver()
    const alone = await post(laptop, '/auth/step-up/approval/start')
    t.equal(alone.statusCode, 403, 'no other session: the method is not offered')
    t.match(alone.json(), { code: 'FST_MFA_METHOD_NOT_ALLOWED', methods: ['totp'] })

    const phone = await approver()
    const started = await post(laptop, '/auth/step-up/approval/start')
    t.equal(started.statusCode, 200, started.body)
    const { requestId, number } = started.json()
    t.same((await list(laptop)).json(), [], 'the asking session is not shown its own request')
    t.match((await approve(laptop, requestId, number)).json(), { statusCode: 404 }, 'nor can it approve it')
    t.equal((await post(laptop, '/auth/step-up/approval/verify', { requestId })).statusCode, 202)
    t.match((await list(phone)).json(), [{ id: requestId, purpose: 'step-up' }])
    t.equal((await approve(phone, requestId, number)).statusCode, 200)
    clock.advance(1)
    const done = await post(laptop, '/auth/step-up/approval/verify', { requestId })
    t.equal(done.statusCode, 200, done.body)
    t.match(done.json(), { aal: 2 })
    t.match((await laptop.inject({ url: '/auth/session' })).json(), { mfaMethod: 'device-approval' })
    t.match((await post(laptop, '/auth/step-up/approval/verify', { requestId })).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' }, 'spent')
  })
})

t.test('not a primary factor: sessions alone never make a user enrolled in MFA', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, approver, signer } = await buildApprovalApp(t, store)
    await approver('carol') // carol has no primary factor, but a session at AAL 2
    t.equal(await app.mfa.factors.get('device-approval')!.isEnrolled('carol'), true, 'she has an approver')
    t.equal(await app.mfa.factors.hasPrimary('carol'), false)
    t.same(await app.mfa.factors.enrolled('carol'), [], 'not offered without a primary factor')
    t.match((await signer('carol')).step, { step: 'complete', aal: 1 }, 'her password signs her in: no second step')
    await approver('alice')
    t.match(await app.mfa.stats(), { usersWithMfa: 2, byMethod: { 'device-approval': 2, totp: 2 } }, 'alice and bob have a primary factor; carol does not count')
    const guarded = await (await approver('carol', { aal: 1, amr: ['pwd'], enrollOnly: true, checks: {} })).inject({ url: '/mfa/approvals' })
    t.notOk(guarded.json().methods.includes('device-approval'), 'never offered for enrolment')
  })
})

t.test('offered only while a session was seen within approverWithin', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, approver, clock } = await buildApprovalApp(t, store, { options: { approverWithin: 3600 } })
    await approver()
    clock.advance(3600)
    t.ok(await app.mfa.factors.get('device-approval')!.isEnrolled('alice'))
    clock.advance(2)
    t.notOk(await app.mfa.factors.get('device-approval')!.isEnrolled('alice'), 'seen more than an hour ago')
  })
})
