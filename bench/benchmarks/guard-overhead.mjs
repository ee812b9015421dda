// Requests/s of a route behind fastify.mfa.require({ aal: 2 }) against the same route on an app with
// only @fastify/cookie + @fastify/session, both signed in (session state as a finished login leaves
// it) and served from this process on 127.0.0.1; autocannon runs in a child process.
// Rounds alternate baseline and ours; the best round of each side counts (least disturbed by
// other load on the machine). Target: ratio >= 0.95 (the guard reads the session, no I/O).
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import mfaCore from '@fastify-mfa/core'
import { buildTestApp, fakeClock } from '@fastify-mfa/testing'
import { listen, median, round, runLoad, assertAllOk, sessionCookie, teardowns } from '../lib/harness.mjs'

const CONNECTIONS = 10
const WARMUP_SECONDS = 1.5
const ROUND_SECONDS = 2.5
const ROUNDS = 5

const handler = async () => ({ ok: true })

/** The baseline host: what buildTestApp sets up, without @fastify-mfa/core. */
async function buildBaseline () {
  const app = Fastify({ logger: false })
  await app.register(cookie)
  await app.register(session, { secret: randomBytes(32).toString('hex'), cookie: { secure: false }, saveUninitialized: false })
  app.post('/__test/session', async (request) => {
    await request.session.regenerate()
    request.session.set('mfa', request.body)
    return { ok: true }
  })
  app.get('/protected', handler)
  await app.ready()
  return app
}

export async function run () {
  const t = teardowns()
  try {
    const clock = fakeClock()
    const ours = await buildTestApp(t, {
      core: mfaCore,
      store: 'memory',
      clock,
      routes: async (app) => { app.get('/protected', { preHandler: app.mfa.require({ aal: 2 }) }, handler) }
    })
    const baseline = await buildBaseline()
    t.teardown(() => baseline.close())
    const now = clock.now() / 1000 | 0
    const state = { userId: 'bench-user', aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: now, mfaTime: now, mfaMethod: 'totp' }
    const sides = {
      ours: { url: await listen(ours), cookie: await sessionCookie(ours, state), rounds: [] },
      baseline: { url: await listen(baseline), cookie: await sessionCookie(baseline, state), rounds: [] }
    }
    const load = (side, duration) => runLoad({
      url: side.url, connections: CONNECTIONS, duration, scenario: 'fixed', method: 'GET', path: '/protected', headers: { cookie: side.cookie }
    })
    for (const side of Object.values(sides)) assertAllOk('warm-up', await load(side, WARMUP_SECONDS))
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, side] of Object.entries(sides)) {
        const cpu = process.cpuUsage()
        const summary = await load(side, ROUND_SECONDS)
        const used = process.cpuUsage(cpu)
        assertAllOk(name, summary)
        side.rounds.push(summary.okPerSecond)
        // The server's own CPU per answer (this process; the load generator is a child): less
        // disturbed by other load than a rate is.
        side.cpu = (side.cpu ?? 0) + used.user + used.system
        side.answers = (side.answers ?? 0) + summary.ok
      }
    }
    const best = (side) => Math.max(...side.rounds)
    return {
      name: 'guard-overhead',
      ours: round(best(sides.ours), 0),
      baseline: round(best(sides.baseline), 0),
      unit: 'req/s',
      ratio: round(best(sides.ours) / best(sides.baseline), 3),
      target: '>= 0.95',
      medianPairRatio: round(median(sides.ours.rounds.map((r, i) => r / sides.baseline.rounds[i])), 3),
      statistic: `best of ${ROUNDS} alternating ${ROUND_SECONDS} s rounds, ${CONNECTIONS} connections`,
      rounds: { ours: sides.ours.rounds.map((r) => round(r, 0)), baseline: sides.baseline.rounds.map((r) => round(r, 0)) },
      cpuMicrosecondsPerRequest: { ours: round(sides.ours.cpu / sides.ours.answers, 1), baseline: round(sides.baseline.cpu / sides.baseline.answers, 1) },
      cpuRatio: round((sides.baseline.cpu / sides.baseline.answers) / (sides.ours.cpu / sides.ours.answers), 3)
    }
  } finally {
    await t.close()
  }
}
