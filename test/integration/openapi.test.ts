import { randomBytes } from 'node:crypto'
import t from 'tap'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import swagger from '@fastify/swagger'
import mfaCore from '@fastify-mfa/core'
import totp from '@fastify-mfa/totp'
import backupCodes from '@fastify-mfa/backup-codes'
import webauthn from '@fastify-mfa/webauthn'
import rememberDevice from '@fastify-mfa/remember-device'
import mfaLogin from '@fastify-mfa/mfa-login'
import sentCodes from '@fastify-mfa/sent-codes'
import deviceApproval from '@fastify-mfa/device-approval'

// Every route of every plugin is in @fastify/swagger's document, tagged with its package, with the error
// shape and a success answer (issue 19: Swagger UI showed the 200 of about 25 routes as "Undocumented").
t.test('the OpenAPI document lists every plugin route', async (t) => {
  const app = Fastify()
  const routes: Array<{ method: string, url: string }> = []
  app.addHook('onRoute', (r) => { for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m.toLowerCase(), url: r.url }) })
  await app.register(swagger, { openapi: { info: { title: 'fastify-mfa', version: '0.1.0' } } })
  await app.register(cookie)
  await app.register(session, { secret: randomBytes(32).toString('hex'), cookie: { secure: false } })
  await app.register(mfaCore, { store: 'memory', encryptionKeys: [{ id: 'k', key: randomBytes(32) }] })
  await app.register(backupCodes)
  await app.register(totp, { issuer: 'Test' })
  await app.register(webauthn, { rpID: 'localhost', rpName: 'Test', origins: ['http://localhost:3000'], relatedOrigins: ['https://other.example'] })
  await app.register(rememberDevice)
  await app.register(sentCodes, { email: { transport: 'smtp://127.0.0.1:9', from: 'test@example.com', getEmail: async () => null }, sms: { send: async () => {} } })
  await app.register(deviceApproval)
  await app.register(mfaLogin, { findUserByLogin: async () => null, getUser: async () => null })
  await app.ready()
  t.teardown(() => app.close())
  const doc = app.swagger() as { paths: Record<string, Record<string, { tags?: string[], responses?: Record<string, unknown> }>> }
  const pluginRoutes = routes.filter((r) => /^\/(auth|mfa)(\/|$)/.test(r.url))
  t.ok(pluginRoutes.length >= 40, `${pluginRoutes.length} plugin routes`)
  for (const { method, url } of pluginRoutes) {
    const path = url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\/$/, '') || '/'
    const op = doc.paths[path]?.[method] ?? doc.paths[`${path}/`]?.[method]
    t.ok(op, `${method.toUpperCase()} ${url} is documented`)
    t.match(op?.tags, [/^@fastify-mfa\//], `${method.toUpperCase()} ${url} is tagged with its package`)
    t.ok(op?.responses?.['4XX'] ?? op?.responses?.['4xx'], `${method.toUpperCase()} ${url} documents the error shape`)
    t.ok(Object.keys(op?.responses ?? {}).some((status) => /^2(\d\d|XX)$/i.test(status)), `${method.toUpperCase()} ${url} documents its success answer`)
  }
})
