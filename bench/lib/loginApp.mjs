// The app the login benchmarks drive: buildTestApp (cookie, session, core on a fake clock) with the
// real @fastify-mfa/totp and @fastify-mfa/mfa-login, configured as in examples/host-app (users from
// a host lookup) but without rate limits, so only the work of a login is measured.
import bcrypt from 'bcrypt'
import mfaCore from '@fastify-mfa/core'
import mfaTotp from '@fastify-mfa/totp'
import mfaLogin from '@fastify-mfa/mfa-login'
import { buildTestApp, fakeClock } from '@fastify-mfa/testing'

export const PASSWORD = 'correct horse battery staple'

/** `count` host users `u<i>` with a bcrypt hash of PASSWORD at `cost`. */
export async function makeUsers (count, cost) {
  const passwordHash = await bcrypt.hash(PASSWORD, cost)
  return Array.from({ length: count }, (_, i) => ({
    id: `u${i}`, email: `u${i}@example.com`, password: PASSWORD, passwordHash, createdAt: new Date(Date.UTC(2029, 11, 30)), roles: []
  }))
}

export async function buildLoginApp (t, { store, users, bcryptCost, routes }) {
  const clock = fakeClock()
  const byId = new Map(users.map((u) => [u.id, u]))
  const byEmail = new Map(users.map((u) => [u.email, u]))
  const app = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    plugins: [
      [mfaTotp, { issuer: 'Bench' }],
      [mfaLogin, {
        findUserByLogin: async (login) => byEmail.get(login) ?? null,
        getUser: async (id) => byId.get(id) ?? null,
        bcryptCost,
        rateLimit: false
      }]
    ],
    routes
  })
  return { app, clock }
}
