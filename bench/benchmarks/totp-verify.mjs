// Second-factor verifications/s through POST /auth/login/verify (real @fastify-mfa/totp and
// mfa-login) against a bare route doing one upserting updateOne on the same store, both on one app
// listening on 127.0.0.1. MongoDB from MONGODB_URI when set, else the memory store.
//
// Every verification needs its own pending login and an unused code (replay protection): USERS
// users enrol TOTP through the real routes; each round moves the fake clock one period on, opens a
// pending login per user with POST /auth/login (not timed; bcrypt cost 4) and then autocannon
// sends one verify per mfaToken (the 'bodies' scenario: setupRequest hands each request the next
// body, never one twice). The baseline round sends the same number of requests with fresh ids.
// Rounds alternate; the rate is all 2xx answers over all time of each side. Information, no target
// (issue 18): a verification that keeps the rules needs several single-document operations against
// the bare route's one; peer-totp-verify (against Better Auth) and commands (operations counted) are
// the measures with targets.
import { randomBytes } from 'node:crypto'
import { assertAllOk, currentCodes, enrolTotp, listen, openStore, pool, round, runLoad, teardowns } from '../lib/harness.mjs'
import { buildLoginApp, makeUsers } from '../lib/loginApp.mjs'

const CONNECTIONS = Number(process.env.BENCH_TOTP_CONNECTIONS ?? 8)
// Each operation costs the test database (FerretDB on SQLite) about a millisecond of CPU: fewer users there.
const USERS = Number(process.env.BENCH_TOTP_USERS ?? (process.env.MONGODB_URI ? 100 : 200))
const ROUNDS = 3

const bareBody = {
  type: 'object',
  additionalProperties: false,
  required: ['mfaToken', 'method', 'code'],
  properties: { mfaToken: { type: 'string', minLength: 16, maxLength: 128 }, method: { type: 'string' }, code: { type: 'string' } }
}

async function openPendingLogins (app, users) {
  return await pool(users, 8, async (user) => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { login: user.email, password: user.password } })
    const answer = res.json()
    if (answer.step !== 'mfa') throw new Error(`expected a pending login, got ${res.statusCode} ${res.body}`)
    return JSON.stringify({ mfaToken: answer.mfaToken, method: 'totp', code: user.code })
  })
}

export async function run () {
  const t = teardowns()
  const db = await openStore()
  try {
    const users = await makeUsers(USERS, 4)
    const { app, clock } = await buildLoginApp(t, {
      store: db.store,
      users,
      bcryptCost: 4,
      routes: async (app) => {
        const bare = app.mfa.collection('bench_bare')
        app.post('/bench/bare', { schema: { body: bareBody } }, async (request) => {
          const written = await bare.updateOne({ _id: request.body.mfaToken }, { $inc: { n: 1 } }, { upsert: true })
          return { ok: written.matchedCount + written.upsertedCount === 1 }
        })
      }
    })
    const url = await listen(app)
    const enrolled = await enrolTotp(app, clock, users)
    const totals = { ours: { ok: 0, seconds: 0 }, baseline: { ok: 0, seconds: 0 } }
    // Round 0 warms both sides up and is not counted.
    for (let r = 0; r <= ROUNDS; r++) {
      clock.advance(30)
      const bodies = await openPendingLogins(app, await currentCodes(clock, enrolled))
      const bare = bodies.map(() => JSON.stringify({ mfaToken: randomBytes(24).toString('base64url'), method: 'totp', code: '000000' }))
      const sides = { baseline: ['/bench/bare', bare], ours: ['/auth/login/verify', bodies] }
      for (const [name, [path, list]] of Object.entries(r % 2 ? sides : Object.fromEntries(Object.entries(sides).reverse()))) {
        const summary = await runLoad({ url, connections: CONNECTIONS, amount: list.length, scenario: 'bodies', method: 'POST', path, data: { bodies: list } })
        assertAllOk(name, summary, list.length)
        if (r > 0) { totals[name].ok += summary.ok; totals[name].seconds += summary.seconds }
      }
    }
    const rate = (side) => side.ok / side.seconds
    return {
      name: 'totp-verify',
      ours: round(rate(totals.ours)),
      baseline: round(rate(totals.baseline)),
      unit: 'verifications/s',
      ratio: round(rate(totals.ours) / rate(totals.baseline), 3),
      target: 'information, no target',
      met: 'information, no target',
      store: db.kind,
      verifications: totals.ours.ok,
      statistic: `${ROUNDS} alternating rounds of ${USERS} requests, ${CONNECTIONS} connections; autocannon 'requests' + setupRequest, one mfaToken per request`
    }
  } finally {
    await t.close()
    await db.close()
  }
}
