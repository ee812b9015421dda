import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildApprovalApp, otherThan } from './helpers.js'

t.test('approved on a signed-in device: the sign-in completes at AAL 2 with amr mca, in a new session', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, approve, list, events } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a, step } = await signer()
    t.match(step, { step: 'mfa', methods: ['device-approval', 'totp'] }, 'offered next to the primary factor')
    const started = await start(a)
    t.equal(started.statusCode, 200, started.body)
    const { requestId, number, expiresAt } = started.json()
    t.ok(Number.isInteger(number) && number >= 10 && number <= 99, `two digits: ${number}`)
    t.equal(expiresAt, new Date(Date.UTC(2030, 0, 1, 0, 2)).toISOString(), '2 minutes')
    t.same((await list(phone)).json().map((r: { id: string }) => r.id), [requestId], 'the phone sees the request')
    t.match((await verify(a, requestId)).json(), { status: 'pending' })
    t.equal((await verify(a, requestId)).statusCode, 202, 'pending: 202')

    const approved = await approve(phone, requestId, number)
    t.same(approved.json(), { status: 'approved' })
    const sidBefore = a.jar.get('sessionId')
    const done = await verify(a, requestId)
    t.equal(done.statusCode, 200, done.body)
    t.same(done.json(), { step: 'complete', aal: 2 })
    t.not(a.jar.get('sessionId'), sidBefore, 'the session was regenerated')
    const session = (await a.inject({ url: '/auth/session' })).json()
    t.match(session, { userId: 'alice', aal: 2, mfaMethod: 'device-approval' })
    t.ok(session.amr.includes('mca'), `amr ${session.amr}`)
    t.same((await list(phone)).json(), [], 'nothing left to approve')
    t.ok(events.some((e) => e.type === 'device-approval.requested'))
    t.ok(events.some((e) => e.type === 'device-approval.approved' && e.details.requestId === requestId))
    t.notOk(JSON.stringify(events.filter((e) => e.type.startsWith('device-approval'))).includes('"number"'), 'no event carries the number')
  })
})

t.test('denied: 401 FST_MFA_APPROVAL_DENIED, the login stays open for another method, no lockout failure counted', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, deny, raw, post } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const { requestId } = (await start(a)).json()
    t.same((await deny(phone, requestId)).json(), { status: 'denied', reason: 'denied', locked: false })
    const refused = await verify(a, requestId)
    t.equal(refused.statusCode, 401)
    t.match(refused.json(), { code: 'FST_MFA_APPROVAL_DENIED' })
    t.match((await verify(a, requestId)).json(), { code: 'FST_MFA_APPROVAL_DENIED' }, 'and stays denied')
    t.same(await raw('login_locks'), [], 'a denial is no wrong guess: the account lockout counts nothing')
    t.same((await raw('login_slots')).filter((d) => String(d._id).startsWith('l:')), [], 'nor holds a place in its run of checks')
    t.match((await post(a, '/auth/login/verify', { method: 'totp', code: 'ok-alice' })).json(), { step: 'complete', aal: 2 })
  })
})

t.test('a wrong number denies and ends the request, and is audited as suspicious', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, approve, list, events } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()
    t.same((await approve(phone, requestId, otherThan(number))).json(), { status: 'denied', reason: 'wrong_number', locked: false })
    t.match((await verify(a, requestId)).json(), { statusCode: 401, code: 'FST_MFA_APPROVAL_DENIED' })
    t.equal((await approve(phone, requestId, number)).statusCode, 404, 'the right number afterwards: the request is over')
    t.same((await list(phone)).json(), [])
    t.match(events.find((e) => e.type === 'device-approval.suspicious'), { userId: 'alice', method: 'device-approval', details: { requestId, reason: 'wrong_number' } })
    t.match(events.find((e) => e.type === 'device-approval.denied'), { details: { reason: 'wrong_number' } })
  })
})

t.test('a request expires after 2 minutes: 404 to approve, 400 FST_MFA_LOGIN_EXPIRED to verify', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, approve, list, clock } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()
    clock.advance(119)
    t.equal((await list(phone)).json().length, 1)
    clock.advance(1)
    t.same((await list(phone)).json(), [], 'gone from the list at 120 s')
    t.equal((await approve(phone, requestId, number)).statusCode, 404)
    t.match((await verify(a, requestId)).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' })

    // Approved in time but spent too late: expiry is checked when it is spent too.
    const next = (await start(a)).json()
    t.equal((await approve(phone, next.requestId, next.number)).statusCode, 200)
    clock.advance(120)
    t.match((await verify(a, next.requestId)).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' })
  })
})

t.test('single use: after one approval exactly one verify completes, also when they race', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, approve } = await buildApprovalApp(t, store)
    const phone = await approver()
    const first = await signer()
    const one = (await start(first.a)).json()
    await approve(phone, one.requestId, one.number)
    t.equal((await verify(first.a, one.requestId, { mfaToken: first.step.mfaToken })).statusCode, 200)
    t.match((await verify(first.a, one.requestId, { mfaToken: first.step.mfaToken })).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' })

    // Two clients of one pending login (its mfaToken) spend one approval at once.
    const second = await signer()
    const two = (await start(second.a)).json()
    await approve(phone, two.requestId, two.number)
    const racing = await Promise.all([0, 1, 2].map(async () => await verify(second.a, two.requestId, { mfaToken: second.step.mfaToken })))
    t.same(racing.map((r) => r.statusCode).sort(), [200, 400, 400], racing.map((r) => r.body).join(' | '))
    t.equal((await approve(phone, two.requestId, two.number)).statusCode, 404, 'and it cannot be approved again')
  })
})

t.test('a new start replaces the open request of the login: the old id neither verifies nor can be approved', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, verify, approve, list } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const old = (await start(a)).json()
    const approvedOld = await approve(phone, old.requestId, old.number)
    t.equal(approvedOld.statusCode, 200)
    const fresh = (await start(a)).json()
    t.not(fresh.requestId, old.requestId)
    t.same((await list(phone)).json().map((r: { id: string }) => r.id), [fresh.requestId], 'one open request per login')
    t.match((await verify(a, old.requestId)).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' }, 'the approval of the replaced request is worth nothing')
    t.equal((await approve(phone, old.requestId, old.number)).statusCode, 404)
    await approve(phone, fresh.requestId, fresh.number)
    t.equal((await verify(a, fresh.requestId)).statusCode, 200)
  })
})

t.test('GET /mfa/approvals shows who asks, never the number; a decided request is gone (404 when decided twice)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, approve, deny, list } = await buildApprovalApp(t, store)
    const phone = await approver()
    const { a } = await signer()
    const { requestId, number } = (await start(a, {})).json()
    const [shown] = (await list(phone)).json()
    t.same(Object.keys(shown).sort(), ['createdAt', 'expiresAt', 'id', 'ip', 'label', 'purpose'])
    t.match(shown, { id: requestId, purpose: 'login', ip: '127.0.0.1', label: 'Unknown device' })
    t.equal((await list(phone)).headers['cache-control'], 'no-store')
    t.equal((await approve(phone, requestId, number)).statusCode, 200)
    t.match((await approve(phone, requestId, number)).json(), { statusCode: 404, code: 'FST_MFA_NOT_FOUND' }, 'approved twice')
    t.equal((await deny(phone, requestId)).statusCode, 404, 'denied after an approval')
    t.equal((await approve(phone, requestId, '42' as unknown as number)).statusCode, 400, 'a number is a JSON integer, never a string')
  })
})

t.test('racing decisions on one request: exactly one wins', async (t) => {
  await eachStore(t, async (t, store) => {
    const { approver, signer, start, approve, deny } = await buildApprovalApp(t, store)
    const [phone, laptop] = [await approver(), await approver()]
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()
    const answers = await Promise.all([approve(phone, requestId, number), deny(laptop, requestId), approve(laptop, requestId, number), deny(phone, requestId)])
    t.equal(answers.filter((r) => r.statusCode === 200).length, 1, answers.map((r) => r.body).join(' | '))
    t.equal(answers.filter((r) => r.statusCode === 404).length, 3)
  })
})
