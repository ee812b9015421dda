import t from 'tap'
import { browser, randomEmail, sharedDatabase, totpUser, twoInstances, type Browser } from './cluster.js'
import type { FastifyInstance } from 'fastify'

// Issue 16 from outside: two example-app instances on one database. A sign-in started on A is approved
// from a session on B (number matching), and every rule holds across both.
const db = await sharedDatabase(t)
if (db) {
  t.test('approval on a signed-in device across two instances: approve, wrong number, single use, 3 prompts per 10 minutes', async (t) => {
    const { a, b } = await twoInstances(t, db)
    const { email, backupCodes } = await totpUser({ a, b }, randomEmail('approval'), Date.now())

    // The phone: signed in on B with a second factor (a backup code: AAL 2).
    const phone = browser()
    t.match((await phone.post(b, '/auth/login', { login: email, password: 'correct horse battery' })).json(), { step: 'mfa' })
    t.match((await phone.post(b, '/auth/login/verify', { method: 'backup-code', code: backupCodes[0] })).json(), { step: 'complete', aal: 2 })

    const signIn = async (app: FastifyInstance): Promise<Browser> => {
      const laptop = browser()
      const step = (await laptop.post(app, '/auth/login', { login: email, password: 'correct horse battery' })).json()
      t.ok(step.methods?.includes('device-approval'), `offered: ${JSON.stringify(step)}`)
      return laptop
    }

    // 1. Started on A, approved on B while A's verify waits: A completes at AAL 2.
    const laptop = await signIn(a)
    const started = await laptop.post(a, '/auth/login/approval/start')
    t.equal(started.statusCode, 200, started.body)
    const { requestId, number } = started.json() as { requestId: string, number: number }
    const listed = (await phone.get(b, '/mfa/approvals')).json() as Array<Record<string, unknown>>
    t.match(listed, [{ id: requestId, purpose: 'login' }], 'B lists the request A opened')
    t.notOk('number' in listed[0]!, 'without its number')
    const waiting = laptop.post(a, '/auth/login/approval/verify', { requestId })
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.same((await phone.post(b, `/mfa/approvals/${requestId}`, { number })).json(), { status: 'approved' })
    const done = await waiting
    t.equal(done.statusCode, 200, done.body)
    t.same(done.json(), { step: 'complete', aal: 2 })
    const session = (await laptop.get(b, '/auth/session')).json()
    t.match(session, { aal: 2, mfaMethod: 'device-approval' }, 'signed in on either instance')
    t.ok(session.amr.includes('mca'))

    // 2. The approval cannot be used twice, nor given twice.
    t.match((await laptop.post(b, '/auth/login/approval/verify', { requestId })).json(), { statusCode: 400, code: 'FST_MFA_LOGIN_EXPIRED' })
    t.equal((await phone.post(a, `/mfa/approvals/${requestId}`, { number })).statusCode, 404)

    // 3. A wrong number typed on the phone, through A (its session works on either instance), denies a request B opened.
    const second = await signIn(b)
    const other = (await second.post(b, '/auth/login/approval/start')).json() as { requestId: string, number: number }
    const wrong = other.number === 10 ? 11 : 10
    t.same((await phone.post(a, `/mfa/approvals/${other.requestId}`, { number: wrong })).json(), { status: 'denied', reason: 'wrong_number', locked: false })
    t.match((await second.post(a, '/auth/login/approval/verify', { requestId: other.requestId })).json(), { statusCode: 401, code: 'FST_MFA_APPROVAL_DENIED' })
    t.equal((await phone.post(b, `/mfa/approvals/${other.requestId}`, { number: other.number })).statusCode, 404, 'the request is over')
    const events = (await laptop.get(a, '/auth/events')).json() as Array<{ type: string }>
    t.ok(events.some((e) => e.type === 'device-approval.suspicious'), 'audited as suspicious')

    // 4. A third prompt (on A), then a fourth within 10 minutes (on B): 429 with Retry-After.
    t.equal((await (await signIn(a)).post(a, '/auth/login/approval/start')).statusCode, 200)
    const fourth = await (await signIn(b)).post(b, '/auth/login/approval/start')
    t.equal(fourth.statusCode, 429, fourth.body)
    t.match(fourth.json(), { code: 'FST_MFA_RATE_LIMITED' })
    t.ok(Number(fourth.headers['retry-after']) > 500, `Retry-After ${fourth.headers['retry-after']}`)
  })
}
