// Password steps/s against Better Auth, in the same run: ours POST /auth/login (the app of
// peer-totp-verify: as examples/host-app, sessions in the example's session store and host users on
// the same store), Better Auth POST /api/auth/sign-in/email (email and password + twoFactor,
// lib/betterAuthApp.mjs). The same two users on each side, one without a second factor (signed in:
// a session is stored) and one with TOTP (ours: a pending login; Better Auth: a two-factor challenge
// in its verification collection); bcrypt at cost 10 on both (Better Auth's password hash and
// verify set to bcrypt), the same concurrency. Rounds alternate the four; each side's rate is all
// its work over all its time. MongoDB from MONGODB_URI when set (Better Auth on a database of its
// own on the same server), else the memory stores. ratio = ours / Better Auth; target >= 1.0.
import { assertAllOk, enrolTotp, listen, meets, openStore, round, runLoad, teardowns } from '../lib/harness.mjs'
import { makeUsers } from '../lib/loginApp.mjs'
import { buildHostApp } from '../lib/hostApp.mjs'
import { betterAuthVersion, buildBetterAuthApp, enrolBetterAuth } from '../lib/betterAuthApp.mjs'

const COST = 10
const CONCURRENCY = 8
const PER_ROUND = Number(process.env.BENCH_PEER_PER_ROUND ?? 48)
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3)
const TARGET = '>= 1.0'

export async function run () {
  const t = teardowns()
  const db = await openStore()
  try {
    const [plain, withMfa] = await makeUsers(2, COST)
    const { app, clock } = await buildHostApp(t, { store: db.store, users: [plain, withMfa], hostUsers: 'store', bcryptCost: COST })
    const url = await listen(app)
    await enrolTotp(app, clock, [withMfa], 1)
    const peer = await buildBetterAuthApp(t, { database: db.database('better_auth'), client: db.client, bcryptCost: COST })
    const [peerPlain] = await enrolBetterAuth(peer, [plain], { totp: false })
    const [peerWithMfa] = await enrolBetterAuth(peer, [withMfa])
    const step = (label, target, path, body, expect) => async () => {
      const summary = await runLoad({
        url: target.url,
        connections: CONCURRENCY,
        amount: PER_ROUND,
        scenario: 'fixed',
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', origin: new URL(target.url).origin },
        body: JSON.stringify(body)
      })
      assertAllOk(label, summary, PER_ROUND)
      return summary
    }
    const ours = { url }
    const sides = {
      oursNoMfa: step('ours without MFA', ours, '/auth/login', { login: plain.email, password: plain.password }),
      peerNoMfa: step('Better Auth without MFA', peer, '/api/auth/sign-in/email', { email: peerPlain.email, password: plain.password }),
      oursWithMfa: step('ours with TOTP', ours, '/auth/login', { login: withMfa.email, password: withMfa.password }),
      peerWithMfa: step('Better Auth with TOTP', peer, '/api/auth/sign-in/email', { email: peerWithMfa.email, password: withMfa.password })
    }
    // Before the timed rounds: the answers are what they should be (signed in / a second step).
    const first = async (target, path, body) => (await fetch(`${target.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: new URL(target.url).origin }, body: JSON.stringify(body) })).json()
    if ((await first(ours, '/auth/login', { login: withMfa.email, password: withMfa.password })).step !== 'mfa') throw new Error('ours: the TOTP user got no second step')
    if ((await first(peer, '/api/auth/sign-in/email', { email: peerWithMfa.email, password: withMfa.password })).twoFactorRedirect !== true) throw new Error('Better Auth: the TOTP user got no second step')
    const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, { ok: 0, seconds: 0 }]))
    // Round 0 warms up and is not counted; odd rounds run the four in reverse order.
    for (let r = 0; r <= ROUNDS; r++) {
      const names = r % 2 ? Object.keys(sides).reverse() : Object.keys(sides)
      for (const name of names) {
        const { ok, seconds } = await sides[name]()
        if (r > 0) { totals[name].ok += ok; totals[name].seconds += seconds }
      }
    }
    const rate = (...names) => names.reduce((n, k) => n + totals[k].ok, 0) / names.reduce((s, k) => s + totals[k].seconds, 0)
    const oursRate = rate('oursNoMfa', 'oursWithMfa')
    const peerRate = rate('peerNoMfa', 'peerWithMfa')
    const ratio = round(oursRate / peerRate, 3)
    return {
      name: 'peer-login-password',
      ours: round(oursRate),
      baseline: round(peerRate),
      unit: 'password steps/s',
      ratio,
      target: TARGET,
      met: meets(ratio, TARGET),
      baselineIs: `Better Auth ${betterAuthVersion} POST /api/auth/sign-in/email`,
      betterAuth: betterAuthVersion,
      ratioWithoutMfa: round(rate('oursNoMfa') / rate('peerNoMfa'), 3),
      ratioWithMfa: round(rate('oursWithMfa') / rate('peerWithMfa'), 3),
      perSide: Object.fromEntries(Object.keys(sides).map((k) => [k, round(rate(k))])),
      cost: COST,
      passwordHash: 'bcrypt on both sides (Better Auth: emailAndPassword.password.hash/verify set to bcrypt)',
      store: db.kind,
      peerStore: peer.store,
      statistic: `${ROUNDS} alternating rounds of ${PER_ROUND} per side and user, concurrency ${CONCURRENCY}`
    }
  } finally {
    await t.close()
    await db.close()
  }
}
