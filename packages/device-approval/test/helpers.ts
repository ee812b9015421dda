import type { Db } from 'mongodb'
import type { FastifyInstance } from 'fastify'
import { agent, buildTestApp, fakeClock, type Agent, type FakeClock } from '@fastify-mfa/testing'
import mfaCore, { type MfaEvent, type MfaStore } from '@fastify-mfa/core'
import type { MfaFactor } from '@fastify-mfa/core/plugin-kit'
import mfaLogin, { type LoginUser } from '@fastify-mfa/mfa-login'
import mfaDeviceApproval, { type DeviceApprovalOptions } from '../src/index.js'

type Teardown = Parameters<typeof buildTestApp>[0]
export const PASSWORD = 'correct horse battery staple'
export const ORIGIN = 'http://localhost'

/** A primary code factor for the tests: code `ok-<userId>` passes for enrolled users. */
export function primaryFactor (enrolled: Set<string>): MfaFactor {
  return {
    id: 'totp',
    amr: 'otp',
    kind: 'code',
    isEnrolled: async (userId) => enrolled.has(userId),
    enrolledUserIds: async () => [...enrolled],
    verifyCode: async (userId, code) => code === `ok-${userId}` ? { ok: true, userId, amr: ['otp'], aal: 2 } : { ok: false, reason: 'invalid' },
    remove: async (userId) => { enrolled.delete(userId) }
  }
}

export interface BuildOptions {
  clock?: FakeClock
  options?: DeviceApprovalOptions
  /** Users with the primary factor. @default alice and bob */
  enrolled?: string[]
  encryptionKeys?: Array<{ id: string, key: Buffer }>
}

/** A host app with core, a primary factor, device-approval and mfa-login; users alice, bob and carol. */
export async function buildApprovalApp (t: Teardown, store: 'memory' | Db | MfaStore, build: BuildOptions = {}) {
  const clock = build.clock ?? fakeClock()
  const users = new Map<string, LoginUser & { email: string }>(['alice', 'bob', 'carol'].map((id) =>
    [id, { id, email: `${id}@example.com`, createdAt: new Date(clock.ms), roles: [] }]))
  const app: FastifyInstance = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    ...(build.encryptionKeys ? { coreOptions: { encryptionKeys: build.encryptionKeys } } : {}),
    plugins: [
      [mfaDeviceApproval, { waitSeconds: 0, pollInterval: 20, ...build.options }],
      [mfaLogin, {
        findUserByLogin: async (login: string) => [...users.values()].find((u) => u.email === login) ?? null,
        getUser: async (id: string) => users.get(id) ?? null,
        verifyPassword: async (_user: LoginUser, password: string) => password === PASSWORD,
        rateLimit: false,
        passwordBrake: false
      }]
    ],
    routes: (app) => { app.mfa.factors.register(primaryFactor(new Set(build.enrolled ?? ['alice', 'bob']))) }
  })
  const events: MfaEvent[] = []
  app.mfa.on('*', (event) => { events.push(event) })
  const nowSec = () => Math.floor(clock.ms / 1000)

  /** A signed-in session at AAL 2 (a second factor a moment ago), as mfa-login leaves one. */
  async function approver (userId = 'alice', state: Record<string, unknown> = {}): Promise<Agent> {
    const a = agent(app)
    await a.signIn({ userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(), mfaTime: nowSec(), mfaMethod: 'totp', ...state })
    return a
  }
  /** A browser after the password step: `{ a, step }` (`step.methods`, `step.mfaToken`). */
  async function signer (userId = 'alice') {
    const a = agent(app)
    const step = (await a.inject({ method: 'POST', url: '/auth/login', payload: { login: `${userId}@example.com`, password: PASSWORD } })).json()
    return { a, step }
  }
  const post = async (a: Agent, url: string, payload?: object) =>
    await a.inject({ method: 'POST', url, ...(payload ? { payload } : {}) })
  const start = async (a: Agent, payload: object = {}) => await post(a, '/auth/login/approval/start', payload)
  const verify = async (a: Agent, requestId: string, extra: object = {}) => await post(a, '/auth/login/approval/verify', { requestId, ...extra })
  const approve = async (a: Agent, id: string, number: number) => await post(a, `/mfa/approvals/${id}`, { number })
  const deny = async (a: Agent, id: string) => await post(a, `/mfa/approvals/${id}/deny`)
  const list = async (a: Agent) => await a.inject({ method: 'GET', url: '/mfa/approvals' })
  const raw = async (name: string) => await app.mfa.store.collection(`mfa_${name}`).find({}) as unknown as Array<Record<string, unknown>>
  return { app, clock, events, nowSec, approver, signer, start, verify, approve, deny, list, raw, post, users }
}

/** A number of the two-digit range that is not `n`. */
export const otherThan = (n: number): number => n === 10 ? 11 : 10

export { agent, fakeClock }
