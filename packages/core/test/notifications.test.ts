import t from 'tap'
import { buildTestApp, until } from '@fastify-mfa/testing'
import mfaCore, { type SecurityNotification } from '../src/index.js'

async function setup (t: Parameters<typeof buildTestApp>[0], coreOptions: Record<string, unknown> = {}) {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory', coreOptions })
  const delivered: SecurityNotification[] = []
  app.mfa.notifications.addChannel(async (n) => { delivered.push(n) })
  return { app, delivered }
}

t.test('security events become notifications for the channels; other events do not', async (t) => {
  const { app, delivered } = await setup(t)
  await app.mfa.emit('recovery.admin_reset', { userId: 'u1', details: { actor: 'support@example.com', reason: 'lost phone' } })
  await app.mfa.emit('mfa.code_accepted', { userId: 'u1' })
  await app.mfa.securityStampChanged('u1', { reason: 'password_changed' })
  await app.mfa.securityStampChanged('u1', { reason: 'totp.replaced' })
  await app.mfa.factorAdded('u1', { method: 'totp' })
  await app.mfa.emit('device_cookie.issued', { userId: 'u1' })
  await until(() => delivered.length >= 4)
  t.same(delivered.map((n) => n.type), ['admin_reset', 'password_changed', 'factor_added', 'new_sign_in'])
  t.match(delivered[0], { userId: 'u1', details: { actor: 'support@example.com', reason: 'lost phone' } })
})

t.test('disabledNotifications turns types off; a failing channel is logged and holds nothing up', async (t) => {
  const { app, delivered } = await setup(t, { disabledNotifications: ['backup_codes_low'] })
  app.mfa.notifications.addChannel(async () => { throw new Error('smtp down') })
  await app.mfa.emit('backup_codes.low', { userId: 'u1', details: { remaining: 2 } })
  await app.mfa.emit('login.locked', { userId: 'u1' })
  await until(() => delivered.length >= 1)
  t.same(delivered.map((n) => n.type), ['lockout'])
  await t.rejects(buildTestApp(t, { core: mfaCore, store: 'memory', coreOptions: { disabledNotifications: ['nope'] } }), /disabledNotifications/)
})
