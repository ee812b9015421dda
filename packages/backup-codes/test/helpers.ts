import { agent, buildTestApp, fakeClock, type FakeClock } from '@fastify-mfa/testing'
import mfaCore, { type MfaEvent } from '@fastify-mfa/core'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import mfaBackupCodes, { type BackupCodesOptions } from '../src/index.js'

type Test = Parameters<typeof buildTestApp>[0]

export interface SetupOptions {
  options?: BackupCodesOptions
  /** Registers an always-enrolled primary factor, as TOTP would be. */
  primaryFactor?: boolean
  /** The plugin to register (a mocked import in the comparison-count test). */
  plugin?: FastifyPluginAsync<BackupCodesOptions>
  clock?: FakeClock
  /** Log lines written by the app, when given. */
  logLines?: string[]
}

export interface Setup {
  app: FastifyInstance
  clock: FakeClock
  events: MfaEvent[]
}

export const nowSec = (clock: FakeClock): number => Math.floor(clock.ms / 1000)

/** A host app with core and backup codes at a low bcrypt cost (4) unless the test sets one. */
export async function setup (t: Test, store: unknown, opts: SetupOptions = {}): Promise<Setup> {
  const clock = opts.clock ?? fakeClock()
  const logLines = opts.logLines
  const logger = logLines ? { level: 'trace', stream: { write: (line: string) => { logLines.push(line) } } } : false
  const app = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    logger,
    plugins: [[opts.plugin ?? mfaBackupCodes, { cost: 4, ...opts.options }]],
    routes: (app) => {
      if (opts.primaryFactor) {
        app.mfa.factors.register({
          id: 'totp',
          amr: 'otp',
          kind: 'code',
          isEnrolled: async () => true,
          enrolledUserIds: async () => [],
          verifyCode: async () => ({ ok: false, reason: 'invalid' }),
          remove: async () => {}
        })
      }
    }
  })
  const events: MfaEvent[] = []
  app.mfa.on('*', (event) => { events.push(event) })
  return { app, clock, events }
}

/** An agent signed in as `userId` with a second factor checked just now. */
export async function freshUser (app: FastifyInstance, clock: FakeClock, userId = 'u1') {
  const user = agent(app)
  const at = nowSec(clock)
  // `checks` is core's per-factor record of second-factor checks; mfaTime/mfaMethod its earlier form.
  await user.signIn({ userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: at, checks: { totp: { at, aal: 2 } }, mfaTime: at, mfaMethod: 'totp' })
  return user
}

/** Regenerates through the route and returns the codes shown. */
export async function regenerate (user: Awaited<ReturnType<typeof freshUser>>): Promise<string[]> {
  const res = await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })
  if (res.statusCode !== 200) throw new Error(`regenerate failed: ${res.body}`)
  return res.json().codes
}

export const verify = async (app: FastifyInstance, userId: string, code: string) =>
  await app.mfa.factors.get('backup-code')!.verifyCode!(userId, code, undefined as never)
