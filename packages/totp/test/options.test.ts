import t from 'tap'
import Fastify from 'fastify'
import { buildTestApp } from '@fastify-mfa/testing'
import mfaCore from '@fastify-mfa/core'
import mfaTotp, { type TotpOptions } from '../src/index.js'
import { resolveOptions } from '../src/options.js'

t.test('defaults', async (t) => {
  t.same(resolveOptions({ issuer: 'Example' }), {
    issuer: 'Example', algorithm: 'SHA1', digits: 6, period: 30, window: 1, setupTtl: 600, accountName: null, prefix: null
  })
})

t.test('each bad option fails naming the option', async (t) => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['issuer', { issuer: undefined }],
    ['issuer', { issuer: '' }],
    ['issuer', { issuer: 'a:b' }],
    ['algorithm', { algorithm: 'MD5' }],
    ['algorithm', { algorithm: 'sha1' }],
    ['digits', { digits: 7 }],
    ['period', { period: 0 }],
    ['period', { period: 30.5 }],
    ['window', { window: -1 }],
    ['window', { window: 11 }],
    ['setupTtl', { setupTtl: 0 }],
    ['accountName', { accountName: 'ada' }],
    ['prefix', { prefix: 'mfa' }]
  ]
  for (const [name, options] of bad) {
    t.throws(() => resolveOptions({ issuer: 'Example', ...options } as Partial<TotpOptions>),
      { name: 'TypeError', message: new RegExp(`^@fastify-mfa/totp: option "${name}"`) }, JSON.stringify(options))
  }
})

t.test('a bad option fails at startup', async (t) => {
  await t.rejects(buildTestApp(t, { core: mfaCore, store: 'memory', plugins: [[mfaTotp, { issuer: 'Example', digits: 5 }]] }),
    /@fastify-mfa\/totp: option "digits"/)
})

t.test('registering without @fastify-mfa/core fails at startup, naming it', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(mfaTotp, { issuer: 'Example' }); await app.ready() }, /@fastify-mfa\/core/)
})
