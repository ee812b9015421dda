// Database commands per request, counted (not timed) with the MongoDB driver's command monitoring
// (`monitorCommands: true`, one `commandStarted` event per command sent). The app is lib/hostApp.mjs
// with the plugins examples/host-app registers (core, backup codes, TOTP, WebAuthn, remember-device,
// mfa-login; sent codes left out: it sends nothing here) and the example's session store. The
// library runs on one MongoClient, the session store on a second one on the same database: each
// client's events are counted apart, so `sessionStore` is what the example's store costs on top.
// Host users are in memory: their lookups are the host's, not counted.
//
// Requests, each for a user who has not made it before: a password step of a user with TOTP
// (POST /auth/login), a TOTP verification (the first code since enrolment, minutes before by the
// fake clock; `totpVerifyAgain`: the same user's next sign-in 30 s later, while the steps the first
// code spent are still in the window) and a backup-code verification (POST /auth/login/verify),
// a WebAuthn verification (POST /auth/login/webauthn/verify, after its options, counted apart), a
// guarded request (GET /protected, `config: { mfa: { aal: 2 } }`, with the session a TOTP sign-in
// left). WARMUP of each kind first (index builds, first-use work), then SAMPLES counted; each is
// sent alone (inject) and counted until the driver has been quiet after it (late background writes
// count with the request that caused them). `byCommand` averages command names per request;
// `sequences` lists each command of the last sample in order, with the collection it touched.
// Better Auth's password step and TOTP verification are counted the same way (`peer`), for scale.
// Targets (library): guarded 0, totpVerify <= 8.
import { setTimeout as sleep } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import mfaWebAuthn from '@fastify-mfa/webauthn'
import mfaRememberDevice from '@fastify-mfa/remember-device'
import { generateTotpCode } from '@fastify-mfa/totp'
import { currentCodes, enrolTotp, meets, pool, round, sessionCookie, teardowns, TOTP } from '../lib/harness.mjs'
import { makeUsers } from '../lib/loginApp.mjs'
import { buildHostApp } from '../lib/hostApp.mjs'
import { SoftAuthenticator } from '../lib/softAuthenticator.mjs'
import { betterAuthChallenge, betterAuthVersion, buildBetterAuthApp, enrolBetterAuth, liveCookies } from '../lib/betterAuthApp.mjs'

const WARMUP = 2
const SAMPLES = Number(process.env.BENCH_COMMANDS_SAMPLES ?? 5)
const QUIET_MS = 30
const RP_ID = 'example.org'
const ORIGIN = 'https://example.org'
const KINDS = ['passwordStep', 'totpVerify', 'totpVerifyAgain', 'backupCodeVerify', 'webauthnVerify', 'guarded']
const TARGETS = { guarded: '0', totpVerify: '<= 8' }

const cookieOf = (res) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
const collectionOf = (event) => {
  const target = event.command[event.commandName]
  if (typeof target === 'string') return target
  return event.command.collection ?? '-'
}

/** A monitored client: `log` gets one `command collection` entry per command while `on`. */
async function monitoredClient (uri) {
  const client = await new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 }).connect()
  const monitor = { client, on: false, log: [], last: 0 }
  client.on('commandStarted', (event) => {
    monitor.last = Date.now()
    if (monitor.on) monitor.log.push(`${event.commandName} ${collectionOf(event)}`)
  })
  return monitor
}

/** Runs `request` alone and returns its answer with the commands each monitor saw for it. */
async function counted (monitors, request) {
  const quiet = async () => {
    await sleep(QUIET_MS)
    while (monitors.some((m) => Date.now() - m.last < QUIET_MS)) await sleep(QUIET_MS)
  }
  await quiet()
  for (const m of monitors) { m.log = []; m.on = true }
  const answer = await request()
  await quiet()
  for (const m of monitors) m.on = false
  return { answer, commands: monitors.map((m) => m.log) }
}

const expectStatus = (res, status, label) => {
  if (res.statusCode !== status) throw new Error(`${label}: ${res.statusCode} ${res.body}`)
  return res
}

/** Per kind: mean count, command names per request (mean), the last sample's sequence, whether counts varied. */
function summarise (samples) {
  const counts = samples.map((s) => s.length)
  const byCommand = {}
  for (const sample of samples) {
    for (const entry of sample) {
      const name = entry.split(' ')[0]
      byCommand[name] = (byCommand[name] ?? 0) + 1 / samples.length
    }
  }
  for (const name of Object.keys(byCommand)) byCommand[name] = round(byCommand[name], 2)
  return { mean: round(counts.reduce((a, b) => a + b, 0) / counts.length, 2), byCommand, sequence: samples.at(-1), varies: new Set(counts).size > 1 ? counts : undefined }
}

async function countOurs (uri, t) {
  const name = `bench_commands_${randomBytes(5).toString('hex')}`
  const library = await monitoredClient(uri)
  const sessions = await monitoredClient(uri)
  t.teardown(async () => {
    await library.client.db(name).dropDatabase().catch(() => {})
    await library.client.close()
    await sessions.client.close()
  })
  const perKind = WARMUP + SAMPLES
  const users = await makeUsers(3 * perKind, 4)
  const { app, clock } = await buildHostApp(t, {
    store: library.client.db(name),
    sessionStore: sessions.client.db(name),
    users,
    bcryptCost: 4,
    plugins: [[mfaWebAuthn, { rpID: RP_ID, rpName: 'Bench', origins: [ORIGIN] }], [mfaRememberDevice, {}]],
    routes: async (app) => { app.get('/protected', { config: { mfa: { aal: 2 } } }, async () => ({ ok: true })) }
  })
  const totpUsers = await enrolTotp(app, clock, users.slice(0, 2 * perKind), 4)
  // Past the confirm code's window (one step each way, the default): a sign-in minutes after enrolment.
  clock.advance(TOTP.period * 2)
  const backupUsers = totpUsers.slice(perKind)
  for (const user of backupUsers) user.backupCode = (await app.mfa.backupCodes.regenerate(user.id))[0]
  const keyUsers = await pool(users.slice(2 * perKind), 4, async (user) => {
    const now = clock.now() / 1000 | 0
    const cookie = await sessionCookie(app, { userId: user.id, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: now, mfaTime: now, mfaMethod: 'totp' })
    const authenticator = new SoftAuthenticator(ORIGIN, RP_ID)
    const options = expectStatus(await app.inject({ method: 'POST', url: '/mfa/webauthn/register/options', headers: { cookie }, payload: {} }), 200, 'register options')
    expectStatus(await app.inject({ method: 'POST', url: '/mfa/webauthn/register/verify', headers: { cookie }, payload: { response: authenticator.register(options.json()) } }), 200, 'register verify')
    return { ...user, authenticator }
  })
  const codes = await currentCodes(clock, totpUsers.slice(0, perKind))
  const monitors = [library, sessions]
  const samples = Object.fromEntries([...KINDS, 'webauthnOptions'].map((k) => [k, [[], []]]))
  const record = (kind, i, commands) => { if (i >= WARMUP) commands.forEach((list, side) => samples[kind][side].push(list)) }
  const passwordStep = async (user) => {
    const res = expectStatus(await app.inject({ method: 'POST', url: '/auth/login', payload: { login: user.email, password: user.password } }), 200, 'password step')
    return { mfaToken: res.json().mfaToken, cookie: cookieOf(res) }
  }
  const verify = (pending, payload) => app.inject({ method: 'POST', url: '/auth/login/verify', headers: { cookie: pending.cookie }, payload: { mfaToken: pending.mfaToken, ...payload } })
  for (let i = 0; i < perKind; i++) {
    const user = codes[i]
    const step = await counted(monitors, () => passwordStep(user))
    record('passwordStep', i, step.commands)
    const totp = await counted(monitors, async () => expectStatus(await verify(step.answer, { method: 'totp', code: user.code }), 200, 'totp verify'))
    record('totpVerify', i, totp.commands)
    const guarded = await counted(monitors, async () => expectStatus(await app.inject({ method: 'GET', url: '/protected', headers: { cookie: cookieOf(totp.answer) } }), 200, 'guarded'))
    record('guarded', i, guarded.commands)

    const backupUser = backupUsers[i]
    const backupPending = await passwordStep(backupUser)
    const backup = await counted(monitors, async () => expectStatus(await verify(backupPending, { method: 'backup-code', code: backupUser.backupCode }), 200, 'backup-code verify'))
    record('backupCodeVerify', i, backup.commands)

    const keyUser = keyUsers[i]
    const keyPending = await passwordStep(keyUser)
    const headers = { cookie: keyPending.cookie }
    const options = await counted(monitors, async () => expectStatus(await app.inject({ method: 'POST', url: '/auth/login/webauthn/options', headers, payload: { mfaToken: keyPending.mfaToken } }), 200, 'webauthn options'))
    record('webauthnOptions', i, options.commands)
    const response = keyUser.authenticator.authenticate(options.answer.json())
    const key = await counted(monitors, async () => expectStatus(await app.inject({ method: 'POST', url: '/auth/login/webauthn/verify', headers, payload: { mfaToken: keyPending.mfaToken, response } }), 200, 'webauthn verify'))
    record('webauthnVerify', i, key.commands)
  }
  clock.advance(TOTP.period)
  for (const [i, user] of (await currentCodes(clock, totpUsers.slice(0, perKind))).entries()) {
    const step = await passwordStep(user)
    const again = await counted(monitors, async () => expectStatus(await verify(step, { method: 'totp', code: user.code }), 200, 'totp verify 30 s later'))
    record('totpVerifyAgain', i, again.commands)
  }
  const unauthenticated = await app.inject({ method: 'GET', url: '/protected' })
  if (unauthenticated.statusCode < 400) throw new Error('the guarded route answered without a session')
  return Object.fromEntries(Object.entries(samples).map(([kind, [lib, sess]]) => [kind, { library: summarise(lib), sessionStore: summarise(sess) }]))
}

/** Better Auth's sign-in of a two-factor user and its verify-totp, counted on a monitored client. */
async function countPeer (uri, t) {
  const monitor = await monitoredClient(uri)
  const db = monitor.client.db(`bench_commands_ba_${randomBytes(5).toString('hex')}`)
  t.teardown(async () => { await db.dropDatabase().catch(() => {}); await monitor.client.close() })
  const peer = await buildBetterAuthApp(t, { database: db, client: monitor.client, bcryptCost: 4 })
  const users = await enrolBetterAuth(peer, await makeUsers(WARMUP + SAMPLES, 4), { concurrency: 4 })
  const samples = { passwordStep: [], totpVerify: [] }
  for (const [i, user] of users.entries()) {
    const step = await counted([monitor], () => betterAuthChallenge(peer, user))
    const code = await generateTotpCode(user.secret, TOTP, Date.now() / 1000 | 0)
    const verify = await counted([monitor], async () => expectStatus(await peer.app.inject({
      method: 'POST', url: '/api/auth/two-factor/verify-totp', headers: { origin: peer.origin, cookie: step.answer }, payload: { code }
    }), 200, 'Better Auth verify-totp'))
    if (!liveCookies(verify.answer).includes('session_token')) throw new Error('Better Auth verify-totp set no session')
    if (i >= WARMUP) { samples.passwordStep.push(step.commands[0]); samples.totpVerify.push(verify.commands[0]) }
  }
  return { betterAuth: betterAuthVersion, passwordStep: summarise(samples.passwordStep), totpVerify: summarise(samples.totpVerify) }
}

export async function run () {
  const uri = process.env.MONGODB_URI
  if (!uri) {
    return { name: 'commands', skipped: 'needs MongoDB (MONGODB_URI): command monitoring is the MongoDB driver\'s; run it with npm run bench or packages/testing/bin/with-test-db.mjs' }
  }
  const t = teardowns()
  try {
    const ours = await countOurs(uri, t)
    const peer = await countPeer(uri, t)
    const pick = (side, field) => Object.fromEntries(KINDS.map((k) => [k, ours[k][side][field]]))
    const met = Object.fromEntries(Object.entries(TARGETS).map(([k, target]) => [k, meets(ours[k].library.mean, target)]))
    return {
      name: 'commands',
      ...pick('library', 'mean'),
      sessionStore: { ...pick('sessionStore', 'mean'), byCommand: pick('sessionStore', 'byCommand') },
      byCommand: pick('library', 'byCommand'),
      unit: 'database commands per request (library; sessionStore apart)',
      target: { guarded: TARGETS.guarded, totpVerify: TARGETS.totpVerify },
      met: { ...met, all: Object.values(met).every(Boolean) },
      webauthnOptions: { library: ours.webauthnOptions.library.mean, sessionStore: ours.webauthnOptions.sessionStore.mean },
      sequences: Object.fromEntries([...KINDS, 'webauthnOptions'].map((k) => [k, { library: ours[k].library.sequence, sessionStore: ours[k].sessionStore.sequence }])),
      varies: Object.fromEntries([...KINDS, 'webauthnOptions'].flatMap((k) => ['library', 'sessionStore'].filter((s) => ours[k][s].varies).map((s) => [`${k}.${s}`, ours[k][s].varies]))),
      peer: {
        betterAuth: peer.betterAuth,
        passwordStep: peer.passwordStep.mean,
        totpVerify: peer.totpVerify.mean,
        byCommand: { passwordStep: peer.passwordStep.byCommand, totpVerify: peer.totpVerify.byCommand },
        sequences: { passwordStep: peer.passwordStep.sequence, totpVerify: peer.totpVerify.sequence }
      },
      store: process.env.FASTIFY_MFA_TEST_DB ? `mongodb (${process.env.FASTIFY_MFA_TEST_DB})` : 'mongodb',
      statistic: `mean of ${SAMPLES} requests per kind after ${WARMUP} not counted, each alone; library and session store on separate monitored MongoClients`
    }
  } finally {
    await t.close()
  }
}
