import type { Db } from 'mongodb'
import { agent, buildTestApp, fakeClock, type FakeClock } from '@fastify-mfa/testing'
import mfaCore, { createMemoryStore, type MfaEvent, type MfaStore, type RecoveryCodesApi } from '@fastify-mfa/core'
import type { FastifyInstance } from 'fastify'
import mfaTotp, { generateTotpCode, type TotpOptions } from '../src/index.js'

type Teardown = Parameters<typeof buildTestApp>[0]

export interface TotpTestApp {
  app: FastifyInstance
  clock: FakeClock
  user: ReturnType<typeof agent>
  events: MfaEvent[]
  /** Every stored document of `mfa_<name>`, read around the plugin (the raw database view). */
  raw(name: string): Promise<Array<Record<string, unknown>>>
  nowSec(): number
  /** Signs in with a password only (no second factor yet). */
  signInPassword(userId?: string): Promise<void>
  /** Signs in with a second factor verified just now. */
  signInFresh(userId?: string): Promise<void>
  /** The code an authenticator app shows now (offset in time steps). */
  codeFor(secret: string, offsetSteps?: number): Promise<string>
  /** POST /mfa/totp/setup + confirm; returns the secret. */
  enable(): Promise<string>
}

export interface BuildOptions {
  options?: Partial<TotpOptions>
  recoveryCodes?: RecoveryCodesApi
  clock?: FakeClock
  /** Reuse a memory store (two app instances on one store). */
  memoryStore?: MfaStore
  /** Share a keyring between app instances (each test app otherwise gets a random key). */
  encryptionKeys?: Array<{ id: string, key: Buffer }>
}

export async function buildTotpApp (t: Teardown, store: 'memory' | Db, build: BuildOptions = {}): Promise<TotpTestApp> {
  const clock = build.clock ?? fakeClock()
  const memory = store === 'memory' ? build.memoryStore ?? createMemoryStore() : null
  const options = { issuer: 'Example', ...build.options }
  const app = await buildTestApp(t, {
    core: mfaCore,
    store: memory ?? store,
    clock,
    ...(build.encryptionKeys ? { coreOptions: { encryptionKeys: build.encryptionKeys } } : {}),
    plugins: [[mfaTotp, options]],
    routes: (app) => { if (build.recoveryCodes) app.mfa.recoveryCodes = build.recoveryCodes }
  })
  const events: MfaEvent[] = []
  app.mfa.on('*', (event) => { events.push(event) })
  const user = agent(app)
  const nowSec = () => Math.floor(clock.ms / 1000)
  const params = { algorithm: options.algorithm ?? 'SHA1', digits: options.digits ?? 6, period: options.period ?? 30 }
  const codeFor = async (secret: string, offsetSteps = 0) => await generateTotpCode(secret, params, nowSec() + offsetSteps * params.period)
  return {
    app,
    clock,
    user,
    events,
    nowSec,
    codeFor,
    async raw (name) {
      const full = `mfa_${name}`
      if (memory) return await memory.collection(full).find({}) as unknown as Array<Record<string, unknown>>
      return await (store as Db).collection(full).find({}).toArray() as unknown as Array<Record<string, unknown>>
    },
    signInPassword: async (userId = 'u1') => await user.signIn({ userId, aal: 1, amr: ['pwd'], authTime: nowSec() }),
    signInFresh: async (userId = 'u1') => await user.signIn({
      userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(), mfaTime: nowSec(), mfaMethod: 'totp'
    }),
    async enable () {
      const setup = await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })
      if (setup.statusCode !== 200) throw new Error(`setup failed: ${setup.body}`)
      const { secret } = setup.json() as { secret: string }
      const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await codeFor(secret) } })
      if (confirm.statusCode !== 200) throw new Error(`confirm failed: ${confirm.body}`)
      return secret
    }
  }
}
