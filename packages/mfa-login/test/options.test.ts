import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildTestApp } from '@fastify-mfa/testing'
import mfaCore from '@fastify-mfa/core'
import mfaLogin, { errors } from '../src/index.js'

const base = { findUserByLogin: async () => null, getUser: async () => null }

t.test('bad options fail at startup naming the option', async (t) => {
  const cases: Array<[object, RegExp]> = [
    [{ getUser: base.getUser }, /option "findUserByLogin"/],
    [{ findUserByLogin: base.findUserByLogin }, /option "getUser"/],
    [{ ...base, mode: 'sometimes' }, /option "mode"/],
    [{ ...base, gracePeriod: -1 }, /option "gracePeriod"/],
    [{ ...base, roles: { admin: { methods: [] } } }, /option "roles.admin.methods"/],
    [{ ...base, lockout: { threshold: 0 } }, /option "lockout.threshold"/],
    [{ ...base, lockout: { durations: [] } }, /option "lockout.durations"/],
    [{ ...base, rateLimit: { max: 0 } }, /option "rateLimit"/],
    [{ ...base, pendingTtl: 0 }, /option "pendingTtl"/],
    [{ ...base, maxAttempts: 0 }, /option "maxAttempts"/],
    [{ ...base, maxAttempts: 21 }, /option "maxAttempts"/],
    [{ ...base, bcryptCost: 3 }, /option "bcryptCost"/]
  ]
  for (const [options, message] of cases) {
    await t.rejects(buildTestApp(t, { core: mfaCore, store: 'memory', plugins: [[mfaLogin, options as Record<string, unknown>]] }), { name: 'TypeError', message })
  }
})

t.test('mfa-login needs @fastify-mfa/core', async (t) => {
  const Fastify = (await import('fastify')).default
  const app = Fastify()
  await app.register((await import('@fastify/cookie')).default)
  await app.register((await import('@fastify/session')).default, { secret: 'x'.repeat(32) })
  await t.rejects(async () => { await app.register(mfaLogin, base as never); await app.ready() }, /@fastify-mfa\/core/)
})

t.test('error codes are unique, equal their keys and are documented', async (t) => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  for (const [key, E] of Object.entries(errors)) {
    t.equal(new E().code, key)
    t.match(readme, `\`${key}\``)
  }
})
