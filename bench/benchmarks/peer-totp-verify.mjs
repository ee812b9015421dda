// Second-factor verifications/s against Better Auth, in the same run: ours through
// POST /auth/login/verify (TOTP; core, totp, backup codes and mfa-login as in examples/host-app,
// the example's session store on the same store, host users stored there too), Better Auth
// (email and password + twoFactor, lib/betterAuthApp.mjs) through POST /api/auth/two-factor/verify-totp.
// MongoDB from MONGODB_URI when set (Better Auth on a database of its own on the same server), else
// the memory stores of both.
//
// As a browser does it, each verification sends the cookie its password step left (our session,
// Better Auth's two-factor cookie) and an Origin header. Every code is a user's first sign-in code:
// each round has users of its own on both sides, who never verified a code since they turned
// two-factor on (Better Auth without a code, ours minutes before the first round by the fake clock,
// with the confirm code). Before each round (not timed) its users take the password step (bcrypt
// cost 4 on both sides). Better Auth runs on the wall clock, so the load generator computes each of
// its codes when it sends it ('totpCodes': a round can outlast a code's window). The load scenarios hand each request the next body and cookie, never one twice.
// Every answer must be 2xx. Rounds alternate; the rate is all 2xx answers over all time of each side.
// ratio = ours / Better Auth; target >= 2.0.
import { assertAllOk, currentCodes, enrolTotp, listen, meets, openStore, pool, round, runLoad, teardowns, TOTP } from '../lib/harness.mjs'
import { makeUsers } from '../lib/loginApp.mjs'
import { buildHostApp } from '../lib/hostApp.mjs'
import { betterAuthChallenge, betterAuthVersion, buildBetterAuthApp, enrolBetterAuth } from '../lib/betterAuthApp.mjs'

const CONNECTIONS = Number(process.env.BENCH_PEER_CONNECTIONS ?? 8)
// Fewer on MongoDB: Better Auth enrols users × (rounds + 1), each costing the test database several operations.
const USERS = Number(process.env.BENCH_PEER_USERS ?? (process.env.MONGODB_URI ? 60 : 200))
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3)
const COST = 4
const TARGET = '>= 2.0'

const cookieOf = (res) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')

/** Our password step per user: the verify body (mfaToken, code) and the session cookie it set. */
async function ourPendingLogins (app, users) {
  return await pool(users, 8, async (user) => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { login: user.email, password: user.password } })
    const answer = res.json()
    if (answer.step !== 'mfa') throw new Error(`expected a pending login, got ${res.statusCode} ${res.body}`)
    return { body: JSON.stringify({ mfaToken: answer.mfaToken, method: 'totp', code: user.code }), cookie: cookieOf(res) }
  })
}

/** Better Auth's password step per user: its two-factor cookie. */
async function peerChallenges (peer, users) {
  return await pool(users, 8, async (user) => ({ user, cookie: await betterAuthChallenge(peer, user) }))
}

export async function run () {
  const t = teardowns()
  const db = await openStore()
  try {
    const users = await makeUsers(USERS * (ROUNDS + 1), COST)
    const { app, clock } = await buildHostApp(t, { store: db.store, users, hostUsers: 'store', bcryptCost: COST })
    const url = await listen(app)
    const enrolled = await enrolTotp(app, clock, users)
    // Past the confirm code's window (one step each way, the default): the first round's codes are
    // each user's first since enrolment.
    clock.advance(TOTP.period * 2)
    const peer = await buildBetterAuthApp(t, { database: db.database('better_auth'), client: db.client, bcryptCost: COST })
    const peerUsers = await enrolBetterAuth(peer, await makeUsers(USERS * (ROUNDS + 1), COST))
    const totals = { ours: { ok: 0, seconds: 0 }, peer: { ok: 0, seconds: 0 } }
    // Round 0 warms both sides up and is not counted.
    for (let r = 0; r <= ROUNDS; r++) {
      clock.advance(TOTP.period)
      const sides = {
        ours: { url, path: '/auth/login/verify', origin: new URL(url).origin, requests: await ourPendingLogins(app, await currentCodes(clock, enrolled.slice(r * USERS, (r + 1) * USERS))) },
        peer: { url: peer.url, path: '/api/auth/two-factor/verify-totp', origin: peer.origin, challenges: await peerChallenges(peer, peerUsers.slice(r * USERS, (r + 1) * USERS)) }
      }
      const order = r % 2 ? ['ours', 'peer'] : ['peer', 'ours']
      for (const name of order) {
        const side = sides[name]
        const amount = (side.requests ?? side.challenges).length
        const summary = await runLoad({
          url: side.url,
          connections: CONNECTIONS,
          amount,
          method: 'POST',
          path: side.path,
          headers: { origin: side.origin },
          ...(side.requests
            ? { scenario: 'bodies', data: { bodies: side.requests.map((q) => q.body), cookies: side.requests.map((q) => q.cookie) } }
            : { scenario: 'totpCodes', data: { requests: side.challenges.map(({ user, cookie }) => ({ secret: user.secret, cookie, body: {} })) } })
        })
        assertAllOk(name === 'ours' ? 'ours' : 'Better Auth', summary, amount)
        if (r > 0) { totals[name].ok += summary.ok; totals[name].seconds += summary.seconds }
      }
    }
    const rate = (side) => side.ok / side.seconds
    const ratio = round(rate(totals.ours) / rate(totals.peer), 3)
    return {
      name: 'peer-totp-verify',
      ours: round(rate(totals.ours)),
      baseline: round(rate(totals.peer)),
      unit: 'verifications/s',
      ratio,
      target: TARGET,
      met: meets(ratio, TARGET),
      baselineIs: `Better Auth ${betterAuthVersion} (twoFactor) POST /api/auth/two-factor/verify-totp`,
      betterAuth: betterAuthVersion,
      store: db.kind,
      peerStore: peer.store,
      sessions: 'ours: the example\'s CollectionSessionStore on the same store; Better Auth: its session collection',
      verifications: totals.ours.ok,
      statistic: `${ROUNDS} alternating rounds of ${USERS} verifications per side, ${CONNECTIONS} connections; each with its password step's cookie and an Origin header, each user's first code after enrolment, users of their own per round on both sides`
    }
  } finally {
    await t.close()
    await db.close()
  }
}
