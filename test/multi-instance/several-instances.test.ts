import t from 'tap'
import { PASSWORD, browser, oathtool, randomEmail, sharedDatabase, signedUp, totpUser, twoInstances, wrongCode } from './cluster.js'

// Two example-app instances on one MongoDB database and one Redis: they must behave as one app (SPEC §2, §7).
const db = await sharedDatabase(t)
if (db) {
  const cluster = await twoInstances(t, db)
  const { a, b } = cluster

  t.test('a session created on A is valid on B', async (t) => {
    const user = browser()
    const email = randomEmail('session')
    await signedUp(a, user, email)
    const onB = (await user.get(b, '/auth/session')).json()
    t.match(onB, { aal: 1, amr: ['pwd'] })
    t.type(onB.userId, 'string')
    t.equal((await user.get(b, '/mfa')).statusCode, 200, 'B lets the session manage factors')
    t.equal((await user.post(b, '/auth/logout')).statusCode, 204)
    t.equal((await user.get(a, '/auth/session')).json().userId, null, 'signing out on B ends the session on A')
  })

  t.test('a login begun on A finishes on B', async (t) => {
    const t0 = Date.now() // every code of this test comes from this one instant
    const { email, secret } = await totpUser(cluster, randomEmail('begin'), t0)
    const user = browser()
    const step1 = await user.post(a, '/auth/login', { login: email, password: PASSWORD })
    t.match(step1.json(), { step: 'mfa', methods: ['backup-code', 'totp'] })
    const pendingCookie = user.jar.get('sessionId')
    // No mfaToken: the pending login is found through the shared session store.
    const done = await user.post(b, '/auth/login/verify', { method: 'totp', code: oathtool(secret, t0 + 30_000) })
    t.equal(done.statusCode, 200)
    t.match(done.json(), { step: 'complete', aal: 2 })
    t.not(user.jar.get('sessionId'), pendingCookie, 'B regenerated the session')
    t.match((await user.get(a, '/auth/session')).json(), { aal: 2, amr: ['pwd', 'otp', 'mfa'] }, 'A sees the finished login')
  })

  t.test('a TOTP code accepted on A is refused on B', async (t) => {
    const t0 = Date.now()
    const { email, secret } = await totpUser(cluster, randomEmail('replay'), t0)
    const code = oathtool(secret, t0 + 30_000)
    const first = browser()
    await first.post(a, '/auth/login', { login: email, password: PASSWORD })
    t.match((await first.post(a, '/auth/login/verify', { method: 'totp', code })).json(), { step: 'complete', aal: 2 }, 'accepted on A')
    const second = browser()
    t.match((await second.post(b, '/auth/login', { login: email, password: PASSWORD })).json(), { step: 'mfa' })
    const replay = await second.post(b, '/auth/login/verify', { method: 'totp', code })
    t.equal(replay.statusCode, 401)
    t.match(replay.json(), { code: 'FST_MFA_INVALID_CODE', attemptsLeft: 4 }, 'refused on B')
    t.equal((await second.get(b, '/auth/session')).json().userId, null, 'B did not sign in')
  })

  t.test('a backup code raced across A and B (10 concurrent on each) succeeds once', async (t) => {
    const { email, backupCodes } = await totpUser(cluster, randomEmail('race'), Date.now())
    // Nine pending logins (with the enrolment login that is ten, the per-account limit a minute),
    // begun alternately on A and B; twenty requests with one code, ten to each instance.
    const tokens: string[] = []
    for (let i = 0; i < 9; i++) {
      const res = await browser().post(i % 2 ? b : a, '/auth/login', { login: email, password: PASSWORD })
      tokens.push(res.json().mfaToken)
    }
    const code = backupCodes[0]!
    const racers = Array.from({ length: 20 }, () => browser())
    const results = await Promise.all(racers.map((racer, i) =>
      racer.post(i < 10 ? a : b, '/auth/login/verify', { mfaToken: tokens[i % 9], method: 'backup-code', code })))
    const statuses = results.map((r) => r.statusCode)
    t.equal(statuses.filter((s) => s === 200).length, 1, `exactly one success: ${statuses.join(' ')}`)
    t.ok(statuses.every((s) => [200, 400, 401, 423].includes(s)), 'the others are refused, none fails')
    const winner = racers[statuses.indexOf(200)]!
    const other = statuses.indexOf(200) < 10 ? b : a
    t.match((await winner.get(other, '/mfa/backup-codes')).json(), { remaining: 9 }, 'one code was spent, once')
  })

  t.test('a lockout on A holds on B', async (t) => {
    const t0 = Date.now()
    const { email, secret } = await totpUser(cluster, randomEmail('lockout'), t0)
    const owner = browser()
    t.match((await owner.post(b, '/auth/login', { login: email, password: PASSWORD })).json(), { step: 'mfa' }, 'the owner begins a login on B')
    const attacker = browser()
    await attacker.post(a, '/auth/login', { login: email, password: PASSWORD })
    const wrong = wrongCode(secret, t0)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await attacker.post(a, '/auth/login/verify', { method: 'totp', code: wrong })).statusCode)
    t.same(statuses, [401, 401, 401, 401, 423], 'the fifth wrong code on A locks the account')
    const right = await owner.post(b, '/auth/login/verify', { method: 'totp', code: oathtool(secret, t0 + 30_000) })
    t.equal(right.statusCode, 423, 'the right code on B is refused while locked')
    t.match(right.json(), { code: 'FST_MFA_LOCKED' })
    t.ok(right.json().retryAfter > 0, 'with retryAfter')
    const again = await browser().post(b, '/auth/login', { login: email, password: PASSWORD })
    t.match(again.json(), { code: 'FST_MFA_LOCKED' }, 'a new password step on B is refused too')
  })
}
