import t from 'tap'
import { buildTestApp } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'

// Checked by `npm run lint` (tsc): event types and their details are typed by MfaEventMap.
t.test('fastify.mfa.on and emit take only declared event types, with their details typed', async (t) => {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory' })
  const reasons: string[] = []
  app.mfa.on('security_stamp.changed', (event) => { reasons.push(event.details.reason) })
  // @ts-expect-error a typo is not an event type
  app.mfa.on('security_stamp.chnaged', () => {})
  // @ts-expect-error details must match the event's
  await app.mfa.emit('factor.removed', { userId: 'u1', details: { reason: 42 } }).catch(() => {})
  await app.mfa.securityStampChanged('u1', { reason: 'password_changed' })
  t.same(reasons, ['password_changed'])
})
