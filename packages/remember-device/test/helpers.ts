import mfaCore, { createMemoryStore, type MfaEvent } from '@fastify-mfa/core'
import type { StoredDocument } from '@fastify-mfa/core/plugin-kit'
import { agent, buildTestApp, fakeClock } from '@fastify-mfa/testing'
import type { Db } from 'mongodb'
import rememberDevice, { type RememberDeviceOptions } from '../src/index.js'

type Test = Parameters<typeof buildTestApp>[0]

export const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
export const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'

const userBody = {
  type: 'object',
  additionalProperties: false,
  required: ['userId'],
  properties: { userId: { type: 'string' } }
} as const

/**
 * A host app with remember-device and two test routes standing in for mfa-login:
 * `POST /__test/remember` (after a second factor, "remember this device" ticked) and
 * `POST /__test/check` (after the password step: may this browser skip the second factor?).
 */
export async function setup (t: Test, store: 'memory' | Db, { options = {}, logLines }: {
  options?: RememberDeviceOptions
  logLines?: string[]
} = {}) {
  const clock = fakeClock()
  const memory = store === 'memory' ? createMemoryStore() : null
  const logger = logLines ? { level: 'trace', stream: { write: (line: string) => { logLines.push(line) } } } : false
  const app = await buildTestApp(t, {
    core: mfaCore,
    store: memory ?? store,
    clock,
    logger,
    plugins: [[rememberDevice, options as Record<string, unknown>]],
    routes: (app) => {
      app.post<{ Body: { userId: string } }>('/__test/remember', { schema: { body: userBody } }, async (request, reply) => {
        await app.mfa.devices!.remember(request, reply, request.body.userId)
        return { ok: true }
      })
      app.post<{ Body: { userId: string } }>('/__test/check', { schema: { body: userBody } }, async (request) =>
        ({ skip: await app.mfa.devices!.check(request, request.body.userId) }))
    }
  })
  const events: MfaEvent[] = []
  app.mfa.on('*', (event) => { events.push(event) })

  /** Documents as the database holds them, read past the plugin. */
  const raw = async (name: string): Promise<StoredDocument[]> => memory
    ? await memory.collection<StoredDocument>(`mfa_${name}`).find({})
    : await (store as Db).collection<StoredDocument>(`mfa_${name}`).find({}).toArray()

  const browser = (userAgent = CHROME_WINDOWS) => {
    const b = agent(app)
    const inject = b.inject
    b.inject = async (opts) => await inject({ ...opts, headers: { 'user-agent': userAgent, ...opts.headers } })
    return {
      ...b,
      remember: async (userId: string, headers: Record<string, string> = {}) =>
        await b.inject({ method: 'POST', url: '/__test/remember', payload: { userId }, headers }),
      check: async (userId: string, headers: Record<string, string> = {}): Promise<boolean> => {
        const res = await b.inject({ method: 'POST', url: '/__test/check', payload: { userId }, headers })
        if (res.statusCode !== 200) throw new Error(`check failed: ${res.body}`)
        return res.json().skip
      },
      /** Signs in as a full session (password + TOTP now). */
      signInAs: async (userId: string) => {
        const now = Math.floor(clock.ms / 1000)
        await b.signIn({ userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: now, mfaTime: now, mfaMethod: 'totp' })
      }
    }
  }
  return { app, clock, events, raw, browser }
}
