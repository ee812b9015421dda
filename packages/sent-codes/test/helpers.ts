import type { Db } from 'mongodb'
import { agent, buildTestApp, fakeClock, type FakeClock } from '@fastify-mfa/testing'
import mfaCore, { type MfaEvent, type MfaStore, type RecoveryCodesApi } from '@fastify-mfa/core'
import type { MfaFactor, SendContext } from '@fastify-mfa/core/plugin-kit'
import type { FastifyInstance } from 'fastify'
import mfaSentCodes, { type SentCodesOptions } from '../src/index.js'
import type { TestSmtp } from './smtp.js'

type Teardown = Parameters<typeof buildTestApp>[0]

/** The host's users: their email addresses (`getEmail`). */
export const EMAILS: Record<string, string> = { u1: 'ada@example.test', u2: 'bob@example.test' }
export const PHONE = '+14155552671'

export interface SmsRecord { to: string, text: string }

export interface BuildOptions {
  options?: Partial<SentCodesOptions>
  /** No `email` / `sms` option (a channel left unconfigured). */
  noEmail?: boolean
  noSms?: boolean
  clock?: FakeClock
  recoveryCodes?: RecoveryCodesApi
  /** Collects every log line, when given. */
  logLines?: string[]
  /** Share a keyring between app instances (each test app otherwise gets a random key). */
  encryptionKeys?: Array<{ id: string, key: Buffer }>
}

export interface SentCodesTestApp {
  app: FastifyInstance
  clock: FakeClock
  user: ReturnType<typeof agent>
  events: MfaEvent[]
  sms: SmsRecord[]
  factor(method: 'email-otp' | 'sms-otp'): MfaFactor
  /** `factor.send` as mfa-login calls it. */
  send(method: 'email-otp' | 'sms-otp', ctx: Omit<SendContext, 'request'>, userId?: string): ReturnType<NonNullable<MfaFactor['send']>>
  /** The code in the newest SMS. */
  smsCode(): string
  nowSec(): number
  signInPassword(userId?: string): Promise<void>
  signInFresh(userId?: string): Promise<void>
  /** Every stored document of `mfa_<name>`, read around the plugin. */
  raw(name: string): Promise<Array<Record<string, unknown>>>
  /** Setup + confirm of the email factor for `userId` (signed in on `user`), with the mailed code. */
  enrolEmail(userId?: string): Promise<void>
  /** Setup + confirm of the SMS factor with PHONE. */
  enrolSms(): Promise<void>
}

/** A host app with core and sent-codes: email through `smtp` (a real SMTP server), SMS recorded. */
export async function buildSentCodesApp (t: Teardown, store: 'memory' | Db | MfaStore, smtp: TestSmtp, build: BuildOptions = {}): Promise<SentCodesTestApp> {
  const clock = build.clock ?? fakeClock()
  const sms: SmsRecord[] = []
  const logLines = build.logLines
  const options: SentCodesOptions = {
    ...(build.noEmail ? {} : { email: { transport: smtp.url, from: 'Example <no-reply@example.test>', getEmail: (id: string) => EMAILS[id] ?? null } }),
    ...(build.noSms ? {} : { sms: { send: async (m: SmsRecord) => { sms.push(m) } } }),
    ...build.options
  }
  const app = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    ...(logLines ? { logger: { level: 'trace', stream: { write: (line: string) => { logLines.push(line) } } } } : {}),
    ...(build.encryptionKeys ? { coreOptions: { encryptionKeys: build.encryptionKeys } } : {}),
    plugins: [[mfaSentCodes, options as Record<string, unknown>]],
    routes: (app) => { if (build.recoveryCodes) app.mfa.recoveryCodes = build.recoveryCodes }
  })
  const events: MfaEvent[] = []
  app.mfa.on('*', (event) => { events.push(event) })
  const user = agent(app)
  const nowSec = () => Math.floor(clock.ms / 1000)
  const factor = (method: 'email-otp' | 'sms-otp') => app.mfa.factors.get(method)!
  const smsCode = () => /^(\d{6}) /.exec(sms[sms.length - 1]?.text ?? '')?.[1] ?? 'no sms'
  const signInPassword = async (userId = 'u1') => await user.signIn({ userId, aal: 1, amr: ['pwd'], authTime: nowSec() })
  const post = async (url: string, payload: object) => {
    const res = await user.inject({ method: 'POST', url, payload })
    if (res.statusCode !== 200) throw new Error(`${url} failed: ${res.body}`)
    return res
  }
  return {
    app,
    clock,
    user,
    events,
    sms,
    factor,
    send: async (method, ctx, userId = 'u1') => await factor(method).send!(userId, { ...ctx, request: undefined as never }),
    smsCode,
    nowSec,
    signInPassword,
    signInFresh: async (userId = 'u1') => await user.signIn({
      userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(), mfaTime: nowSec(), mfaMethod: 'email-otp'
    }),
    // The store as core holds it (memory or MongoDB), under the plugin's collection names.
    raw: async (name) => await app.mfa.store.collection(`mfa_${name}`).find({}) as unknown as Array<Record<string, unknown>>,
    async enrolEmail (userId = 'u1') {
      const before = (await smtp.codeMailsTo(EMAILS[userId]!, 0)).length
      await post('/mfa/email-otp/setup', {})
      await post('/mfa/email-otp/confirm', { code: await smtp.codeFor(EMAILS[userId]!, before + 1) })
    },
    async enrolSms () {
      await post('/mfa/sms-otp/setup', { phone: PHONE })
      await post('/mfa/sms-otp/confirm', { code: smsCode() })
    }
  }
}

/** A code that is not `code`. */
export const otherThan = (code: string): string => code === '000000' ? '111111' : '000000'
