// Password steps/s through POST /auth/login (real mfa-login; a user without MFA, who is signed in,
// and a user with TOTP, who gets a pending login) against raw bcrypt.compare/s at the same cost
// (10), run in this process with the same concurrency. bcrypt is the physical limit of a password
// login. Rounds alternate baseline, no-MFA and MFA; each side's rate is all its work over all its
// time. MongoDB from MONGODB_URI when set, else the memory store. Target: ratio >= 0.9.
import bcrypt from 'bcrypt'
import { assertAllOk, enrolTotp, listen, openStore, pool, round, runLoad, teardowns } from '../lib/harness.mjs'
import { buildLoginApp, makeUsers, PASSWORD } from '../lib/loginApp.mjs'

const COST = 10
// Enough requests in flight to keep bcrypt busy while others wait for the database; the baseline
// runs as many at once (bcrypt still runs on libuv's 4 threads).
const CONCURRENCY = 8
const PER_ROUND = 48
const ROUNDS = 3

async function bcryptRound (hash) {
  const started = process.hrtime.bigint()
  const results = await pool(Array.from({ length: PER_ROUND }), CONCURRENCY, () => bcrypt.compare(PASSWORD, hash))
  if (!results.every(Boolean)) throw new Error('bcrypt.compare failed')
  return { ok: PER_ROUND, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

export async function run () {
  const t = teardowns()
  const db = await openStore()
  try {
    const [plain, withMfa] = await makeUsers(2, COST)
    const { app, clock } = await buildLoginApp(t, { store: db.store, users: [plain, withMfa], bcryptCost: COST })
    const url = await listen(app)
    await enrolTotp(app, clock, [withMfa], 1)
    const login = (user) => async () => {
      const body = JSON.stringify({ login: user.email, password: PASSWORD })
      const summary = await runLoad({ url, connections: CONCURRENCY, amount: PER_ROUND, scenario: 'fixed', method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body })
      assertAllOk(`login ${user === plain ? 'without' : 'with'} MFA`, summary, PER_ROUND)
      return summary
    }
    const sides = { baseline: () => bcryptRound(plain.passwordHash), noMfa: login(plain), withMfa: login(withMfa) }
    const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, { ok: 0, seconds: 0 }]))
    // Round 0 warms up and is not counted.
    for (let r = 0; r <= ROUNDS; r++) {
      for (const [name, side] of Object.entries(sides)) {
        const { ok, seconds } = await side()
        if (r > 0) { totals[name].ok += ok; totals[name].seconds += seconds }
      }
    }
    const rate = (name) => totals[name].ok / totals[name].seconds
    const ours = (totals.noMfa.ok + totals.withMfa.ok) / (totals.noMfa.seconds + totals.withMfa.seconds)
    return {
      name: 'login-password',
      ours: round(ours),
      baseline: round(rate('baseline')),
      unit: 'password steps/s',
      ratio: round(ours / rate('baseline'), 3),
      target: '>= 0.9',
      withoutMfa: round(rate('noMfa')),
      withMfa: round(rate('withMfa')),
      ratioWithoutMfa: round(rate('noMfa') / rate('baseline'), 3),
      ratioWithMfa: round(rate('withMfa') / rate('baseline'), 3),
      cost: COST,
      store: db.kind,
      statistic: `${ROUNDS} alternating rounds of ${PER_ROUND} per side, concurrency ${CONCURRENCY}`
    }
  } finally {
    await t.close()
    await db.close()
  }
}
