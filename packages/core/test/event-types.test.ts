import t from 'tap'
import { buildTestApp } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'

// The compile-time side (a typo is not an event type, details are typed) is in typetests/events.tst.ts.
t.test('a typed hook gets the details its event type declares', async (t) => {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory' })
  const reasons: string[] = []
  app.mfa.on('security_stamp.changed', (event) => { reasons.push(event.details.reason) })
  await app.mfa.securityStampChanged('u1', { reason: 'password_changed' })
  t.same(reasons, ['password_changed'])
})
