import bcrypt from 'bcrypt'
import type { FastifyInstance } from 'fastify'
import { agent, buildTestApp, fakeClock, type FakeClock } from '@fastify-mfa/testing'
import mfaCore from '@fastify-mfa/core'
import type { FactorResult, MfaFactor } from '@fastify-mfa/core/plugin-kit'
import mfaLogin, { type LoginUser, type MfaLoginOptions } from '../src/index.js'

export const PASSWORD = 'correct horse battery staple'
const hash = bcrypt.hashSync(PASSWORD, 4)

/**
 * A code factor for tests: code `ok-<userId>` passes for enrolled users; every call is counted.
 * Checks of codes for which `hold(code)` is true wait in the factor until `release()`, so a test
 * can act while they are in flight.
 */
export function fakeCodeFactor (id: string, enrolled: Set<string>, extra: Partial<MfaFactor> = {}, hold: (code: string) => boolean = () => false) {
  const calls: string[] = []
  let release = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const factor: MfaFactor = {
    id,
    amr: 'otp',
    kind: 'code',
    isEnrolled: async (userId) => enrolled.has(userId),
    enrolledUserIds: async () => [...enrolled],
    async verifyCode (userId, code): Promise<FactorResult> {
      calls.push(code)
      if (hold(code)) await gate
      return code === `ok-${userId}` ? { ok: true, userId, amr: ['otp'], aal: 2 } : { ok: false, reason: 'invalid' }
    },
    remove: async (userId) => { enrolled.delete(userId) },
    ...extra
  }
  return { factor, calls, release }
}

export interface Setup {
  users: Map<string, LoginUser>
  clock: FakeClock
  store?: unknown
  login?: Partial<MfaLoginOptions>
  factors?: MfaFactor[]
  plugins?: Array<[never, Record<string, unknown>?]>
  routes?: (app: FastifyInstance) => void
}

export async function buildLoginApp (t: Parameters<typeof buildTestApp>[0], setup: Setup) {
  const { users, clock } = setup
  const app = await buildTestApp(t, {
    core: mfaCore,
    store: setup.store ?? 'memory',
    clock,
    plugins: [[mfaLogin, {
      findUserByLogin: async (login: string) => [...users.values()].find((u) => (u as { email?: string }).email === login) ?? null,
      getUser: async (id: string) => users.get(id) ?? null,
      bcryptCost: 4,
      ...setup.login
    }], ...(setup.plugins ?? [])],
    routes: async (app) => {
      for (const f of setup.factors ?? []) app.mfa.factors.register(f)
      app.get('/protected', { preHandler: app.mfa.require({ aal: 2 }) }, async () => ({ ok: true }))
      app.get('/mfa-manage', { preHandler: app.mfa.guards.manage }, async () => ({ ok: true }))
      app.get('/mfa-enrol', { preHandler: app.mfa.guards.enrol }, async () => ({ ok: true }))
      // A host with its own password check hands over to mfa-login.
      app.post<{ Body: { userId: string } }>('/my-login', async (request, reply) => await app.mfa.login.begin(request, reply, request.body.userId))
      app.get('/aal3-fresh', { preHandler: app.mfa.require({ aal: 3, maxAge: 300 }) }, async () => ({ ok: true }))
      setup.routes?.(app)
    }
  })
  return app
}

export function user (id: string, extra: Partial<LoginUser> = {}): LoginUser & { email: string } {
  return { id, email: `${id}@example.com`, passwordHash: hash, createdAt: new Date(Date.UTC(2029, 11, 30)), roles: [], ...extra }
}

export { agent, fakeClock }
