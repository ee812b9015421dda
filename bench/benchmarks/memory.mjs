// RSS of the server process (after full GCs) after a warm-up, after 100k guarded requests and after
// 5k complete logins (password, TOTP through /auth/login/verify, logout), on one app with the real
// core, totp and mfa-login. The load generator is a separate process, so only the server is
// measured. bcrypt cost 4 here (cost 10 would take minutes). MongoDB from MONGODB_URI when set, else
// the memory store, whose documents (events, used TOTP steps, attempts) then live in the process
// and count in the RSS. Target: growth < 10%.
import { assertAllOk, currentCodes, enrolTotp, heapUsedMb, listen, openStore, round, runLoad, sessionCookie, settledRssMb, teardowns } from '../lib/harness.mjs'
import { buildLoginApp, makeUsers } from '../lib/loginApp.mjs'

const COST = 4
const GUARDED = 100_000
const USERS = 500
const LOGIN_ROUNDS = 10 // USERS × LOGIN_ROUNDS complete logins
const CONNECTIONS = 10

export async function run () {
  const t = teardowns()
  const db = await openStore()
  try {
    const users = await makeUsers(USERS, COST)
    const { app, clock } = await buildLoginApp(t, {
      store: db.store,
      users,
      bcryptCost: COST,
      routes: async (app) => { app.get('/protected', { preHandler: app.mfa.require({ aal: 2 }) }, async () => ({ ok: true })) }
    })
    const url = await listen(app)
    const enrolled = await enrolTotp(app, clock, users)
    const now = clock.now() / 1000 | 0
    const cookie = await sessionCookie(app, { userId: 'u0', aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: now, mfaTime: now, mfaMethod: 'totp' })
    const guarded = async (amount) => {
      const summary = await runLoad({ url, connections: CONNECTIONS, amount, scenario: 'fixed', method: 'GET', path: '/protected', headers: { cookie } })
      assertAllOk('guarded', summary, amount)
      return summary
    }
    const logins = async () => {
      clock.advance(30) // a new time step: every user has an unused code again
      const round = await currentCodes(clock, enrolled)
      const summary = await runLoad({ url, connections: CONNECTIONS, amount: 3 * round.length, scenario: 'login', data: { users: round } })
      assertAllOk('logins', summary, 3 * round.length)
      return summary
    }

    await guarded(10_000)
    await logins()
    const warm = await settledRssMb()
    const heap = [heapUsedMb()]
    const started = Date.now()
    const guardedRun = await guarded(GUARDED)
    const afterGuarded = await settledRssMb()
    heap.push(heapUsedMb())
    let loginSeconds = 0
    for (let r = 0; r < LOGIN_ROUNDS; r++) loginSeconds += (await logins()).seconds
    const afterLogins = await settledRssMb()
    heap.push(heapUsedMb())
    const growth = Math.max(afterGuarded, afterLogins) / warm
    const count = (name) => app.mfa.collection(name).countDocuments({})
    return {
      name: 'memory',
      ours: round(afterLogins),
      baseline: round(warm),
      unit: 'MB RSS',
      ratio: round(growth, 3),
      target: '< 1.10',
      afterGuardedMb: round(afterGuarded),
      heapUsedMb: { warm: round(heap[0]), afterGuarded: round(heap[1]), afterLogins: round(heap[2]) },
      guardedRequests: GUARDED,
      guardedPerSecond: round(guardedRun.okPerSecond, 0),
      completeLogins: USERS * LOGIN_ROUNDS,
      loginsPerSecond: round(USERS * LOGIN_ROUNDS / loginSeconds),
      seconds: round((Date.now() - started) / 1000),
      bcryptCost: COST,
      store: db.kind === 'memory' ? 'memory (documents held in the process)' : db.kind,
      storedDocuments: { events: await count('events'), totpSteps: await count('totp_steps'), pendingLogins: await count('pending_logins'), loginSlots: await count('login_slots') },
      note: 'bcrypt cost 4 (not 10) to finish in time; ratio = max(after guarded, after logins) / after warm-up'
    }
  } finally {
    await t.close()
    await db.close()
  }
}
