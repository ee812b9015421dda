import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'

/** A settable clock in epoch milliseconds: `clock.now` goes to the `now` option, tests move `clock.ms`. */
export function fakeClock (startMs = Date.UTC(2030, 0, 1)) {
  const clock = { ms: startMs, now: () => clock.ms, advance: (seconds) => { clock.ms += seconds * 1000 } }
  return clock
}

/**
 * A host app for plugin tests: @fastify/cookie, @fastify/session, the given core plugin and the
 * plugins under test. `POST /__test/session` writes `request.session.mfa` (how a finished login
 * leaves it, recorded in core's session registry), so factor plugins can be tested without
 * mfa-login. Closed in teardown.
 */
export async function buildTestApp (t, { core, store, coreOptions = {}, plugins = [], clock = fakeClock(), logger = false, routes } = {}) {
  const app = Fastify({ logger })
  await app.register(cookie)
  await app.register(session, { secret: randomBytes(32).toString('hex'), cookie: { secure: false }, saveUninitialized: false })
  await app.register(core, { store, encryptionKeys: [{ id: 'test', key: randomBytes(32) }], now: clock.now, ...coreOptions })
  for (const [plugin, options] of plugins) await app.register(plugin, options ?? {})
  app.post('/__test/session', async (request) => {
    // Shorthand for one check: `mfaTime` + `mfaMethod` (+ `mfaAal`, default the session's aal, at least 2).
    const { mfaTime, mfaMethod, mfaAal, ...state } = request.body
    if (mfaTime !== undefined && state.checks === undefined) {
      state.checks = { [mfaMethod ?? 'totp']: { at: mfaTime, aal: mfaAal ?? Math.max(2, state.aal ?? 2) } }
    }
    await app.mfa.sessions.establish(request, state)
    return { ok: true }
  })
  if (routes) await routes(app)
  await app.ready()
  t.teardown(() => app.close())
  return app
}

/** Waits until `done()` (sync or async) holds, polling every few milliseconds for at most about two seconds. */
export async function until (done) {
  for (let i = 0; i < 500 && !await done(); i++) await new Promise((resolve) => setTimeout(resolve, 4))
}

/** Wraps `app.inject` with a cookie jar, like a browser. */
export function agent (app) {
  const jar = new Map()
  const inject = async (opts) => {
    const cookieHeader = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await app.inject({ ...opts, headers: { ...(cookieHeader ? { cookie: cookieHeader } : {}), ...opts.headers } })
    for (const c of res.cookies) {
      if (c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    return res
  }
  return {
    inject,
    jar,
    /** Signs in with the given session state (`{ userId, aal, amr, authTime, mfaTime, mfaMethod }`). */
    async signIn (state) {
      const res = await inject({ method: 'POST', url: '/__test/session', payload: { aal: 1, amr: ['pwd'], ...state } })
      if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.body}`)
    }
  }
}
