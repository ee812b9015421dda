// A TypeScript host against the packed types (dropin/run.sh: `tsc --noEmit` in the temporary app).
// Never run: it only has to type-check, with mongodb@6 installed (core's optional peer is >=6 <8).
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import { MongoClient, type Db } from 'mongodb'
import mfaCore, { type MfaCoreOptions, type MfaEventMap, type RequestMfa, type RequireOptions } from '@fastify-mfa/core'
import totp, { type TotpOptions } from '@fastify-mfa/totp'
import backupCodes, { type BackupCodesOptions } from '@fastify-mfa/backup-codes'
import webauthn, { type WebAuthnOptions } from '@fastify-mfa/webauthn'
import rememberDevice, { type RememberDeviceOptions } from '@fastify-mfa/remember-device'
import mfaLogin, { type LoginAnswer, type LoginUser, type MfaLoginOptions } from '@fastify-mfa/mfa-login'
import sentCodes, { type SentCodesOptions } from '@fastify-mfa/sent-codes'

declare module 'fastify' {
  interface Session {
    user?: { id: string, email: string }
  }
}

interface HostUser extends LoginUser { email: string, passwordHash: string }
const users = new Map<string, HostUser>()
const byEmail = async (login: string): Promise<HostUser | null> => [...users.values()].find((u) => u.email === login) ?? null
const byId = async (id: string): Promise<HostUser | null> => users.get(id) ?? null

const db: Db = new MongoClient('mongodb://127.0.0.1:27017').db('dropin') // mongodb@6's Db

const coreOptions: MfaCoreOptions = {
  store: db,
  encryptionKeys: [{ id: '2026-11', key: Buffer.alloc(32).toString('base64') }],
  origins: ['https://example.com']
}
const totpOptions: TotpOptions = { issuer: 'My App', accountName: async (request) => (await byId(request.mfa.userId!))?.email ?? 'unknown' }
const backupOptions: BackupCodesOptions = { count: 10, cost: 10 }
const webauthnOptions: WebAuthnOptions = { rpID: 'example.com', rpName: 'My App', origins: ['https://example.com'] }
const rememberOptions: RememberDeviceOptions = { maxAge: 30 * 24 * 3600 }
const sentCodesOptions: SentCodesOptions = {
  appName: 'My App',
  email: { transport: 'smtp://127.0.0.1:2525', from: '"My App" <no-reply@example.com>', getEmail: async (userId) => (await byId(userId))?.email ?? null },
  sms: { send: async ({ to, text }) => { void to; void text } }
}
const loginOptions: MfaLoginOptions = {
  findUserByLogin: byEmail,
  getUser: byId,
  roles: { admin: { methods: ['webauthn'] } },
  onSignedIn: async (request, _reply, { userId, aal, amr }) => {
    const user = await byId(userId)
    if (user) request.session.user = { id: user.id, email: user.email }
    const level: number = aal
    const methods: string[] = amr
    void level; void methods
  }
}

const app = Fastify()
await app.register(cookie)
await app.register(session, { secret: 'a'.repeat(32), saveUninitialized: false })
await app.register(mfaCore, coreOptions)
await app.register(mfaCore, { store: 'memory', encryptionKeys: [{ id: 'k', key: Buffer.alloc(32) }] }) // the other store kind, inline
await app.register(backupCodes, backupOptions)
await app.register(backupCodes) // options are optional
await app.register(totp, totpOptions)
await app.register(webauthn, webauthnOptions)
await app.register(rememberDevice, rememberOptions)
await app.register(sentCodes, sentCodesOptions)
await app.register(mfaLogin, loginOptions)

// The host's own password check, then begin().
app.post<{ Body: { email: string, password: string } }>('/login', async (request, reply): Promise<FastifyReply> => {
  const user = await byEmail(request.body.email)
  if (!user) return await reply.code(401).send({ message: 'wrong email or password' })
  return await app.mfa.login.begin(request, reply, user.id)
})

const guard: RequireOptions = { aal: 2, maxAge: 300 }
app.get('/billing', { preHandler: app.mfa.require(guard) }, async (request: FastifyRequest) => {
  const mfa: RequestMfa = request.mfa
  const signedIn: boolean = request.mfa.signedIn
  const userId: string | null = mfa.userId
  return { signedIn, userId, fresh: mfa.isFresh(300), aal: mfa.aal }
})
app.get('/account', { config: { mfa: { aal: 1 } } }, async (request, reply) => {
  if (!request.session.user) return await reply.code(401).send({ message: 'sign in first' })
  return { email: request.session.user.email }
})

app.mfa.on('login.success', (e) => {
  const aal: number = e.details.aal
  const amr: string[] = e.details.amr
  void aal; void amr
})
app.mfa.on('totp.enabled', (e) => { void e.userId })
app.mfa.on('*', (e) => { void e.type })
// @ts-expect-error a misspelled event type does not compile
app.mfa.on('loginsuccess', () => {})

const details: MfaEventMap['login.success'] = { aal: 2, amr: ['pwd', 'otp', 'mfa'] }
const answer: LoginAnswer = { step: 'mfa', mfaToken: 't', methods: ['totp'], expiresAt: new Date().toISOString() }
void details; void answer

const codes: string[] | null = await app.mfa.recoveryCodes!.issueIfNone('user-1')
const remembered: boolean | undefined = await app.mfa.devices?.check({} as FastifyRequest, 'user-1')
void codes; void remembered
await app.mfa.admin.reset('user-1', { actor: 'support', reason: 'lost phone' })
await app.mfa.securityStampChanged('user-1', { reason: 'password_changed' })
