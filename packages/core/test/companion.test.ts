import t from 'tap'
import { agent, buildTestApp, eachStore, fakeClock } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'
import type { MfaFactor } from '../src/pluginKit.js'
import { createFactorRegistry } from '../src/factors.js'

const factor = (id: string, enrolled: string[], extra: Partial<MfaFactor> = {}): MfaFactor => ({
  id,
  amr: 'otp',
  kind: 'code',
  isEnrolled: async (userId) => enrolled.includes(userId),
  enrolledUserIds: async () => enrolled,
  verifyCode: async () => ({ ok: false, reason: 'invalid' }),
  remove: async () => {},
  ...extra
})
const prompt = (enrolled: string[]): MfaFactor => factor('device-approval', enrolled, {
  kind: 'prompt',
  companion: true,
  verifyCode: undefined,
  start: async () => ({ requestId: 'r', number: 42, expiresAt: new Date() }),
  waitForDecision: async () => 'pending',
  decision: async () => 'pending'
})

t.test('prompt factors need start, waitForDecision and decision; unknown kinds are refused', async (t) => {
  const registry = createFactorRegistry()
  t.throws(() => registry.register({ ...prompt([]), decision: undefined }), { message: /prompt factor "device-approval" needs start\(\), waitForDecision\(\) and decision\(\)/ })
  t.throws(() => registry.register({ ...prompt([]), kind: 'push' as never }), { message: /unknown kind/ })
  registry.register(prompt([]))
  t.equal(registry.get('device-approval')?.kind, 'prompt')
})

t.test('a companion factor is offered only next to a primary one and never counts as one', async (t) => {
  const registry = createFactorRegistry()
  registry.register(factor('totp', ['alice']))
  registry.register(factor('backup-code', ['alice', 'bob'], { recovery: true }))
  registry.register(prompt(['alice', 'carol']))
  t.same(await registry.enrolled('alice'), ['totp', 'backup-code', 'device-approval'])
  t.same(await registry.enrolled('carol'), [], 'sessions alone: nothing offered')
  t.equal(await registry.hasPrimary('carol'), false)
  t.equal(await registry.hasPrimary('alice'), true)
})

await eachStore(t, async (t, store) => {
  const clock = fakeClock()
  const app = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    routes: (app) => {
      app.mfa.factors.register(factor('totp', ['alice']))
      app.mfa.factors.register(prompt(['alice', 'carol']))
      app.get('/aal2', { preHandler: app.mfa.require({ aal: 2 }) }, async () => ({ ok: true }))
    }
  })
  const nowSec = () => Math.floor(clock.ms / 1000)
  const signIn = async (state: Record<string, unknown>) => {
    const a = agent(app)
    await a.signIn({ authTime: nowSec(), ...state })
    return a
  }

  t.test('stats count users with a primary factor only; guards list the companion for step-up, never for enrolment', async (t) => {
    t.same(await app.mfa.stats(), { usersWithMfa: 1, byMethod: { totp: 1, 'device-approval': 2 } })
    const weak = await signIn({ userId: 'alice', aal: 1, amr: ['pwd'] })
    t.match((await weak.inject({ url: '/aal2' })).json(), { code: 'FST_MFA_REQUIRED', methods: ['totp', 'device-approval'] })
    const enrolling = await signIn({ userId: 'carol', aal: 1, amr: ['pwd'], enrollOnly: true })
    t.match((await enrolling.inject({ url: '/aal2' })).json(), { code: 'FST_MFA_ENROLLMENT_REQUIRED', methods: ['totp'] })
  })

  t.test('the session registry records each session\'s level; assured() finds the strong, live, recently seen ones', async (t) => {
    const strong = await signIn({ userId: 'dora', aal: 2, amr: ['pwd', 'otp', 'mfa'] })
    await signIn({ userId: 'dora', aal: 1, amr: ['pwd'] })
    await signIn({ userId: 'dora', aal: 2, amr: ['pwd', 'otp', 'mfa'], enrollOnly: true })
    const [own] = ((await strong.inject({ url: '/mfa/sessions' })).json() as Array<{ id: string, current: boolean }>).filter((s) => s.current)
    const found = await app.mfa.sessions.assured({ minAal: 2, userId: 'dora' })
    t.same(found.map((s) => s.id), [own!.id], 'AAL 2, not enrol-only')
    t.match(found[0], { userId: 'dora', aal: 2 })
    t.same((await app.mfa.sessions.assured({ minAal: 3, userId: 'dora' })), [])
    t.same((await app.mfa.sessions.assured({ minAal: 2, ids: [own!.id] })).map((s) => s.id), [own!.id])
    t.same((await app.mfa.sessions.assured({ minAal: 2, userId: 'dora', seenSince: new Date(clock.ms + 1000) })), [], 'not seen since')
    // A step-up raises the recorded level of the same record.
    await strong.signIn({ userId: 'dora', aal: 3, amr: ['pwd', 'hwk', 'mfa'] })
    t.same((await app.mfa.sessions.assured({ minAal: 3, userId: 'dora' })).map((s) => s.id), [own!.id])
    clock.advance(app.mfa.options.sessionLifetime)
    t.same((await app.mfa.sessions.assured({ minAal: 2, userId: 'dora' })), [], 'expired')
  })
})
