import t from 'tap'
import { buildTestApp } from '@fastify-mfa/testing'
import mfaCore from '@fastify-mfa/core'
import type { FastifyInstance } from 'fastify'
import mfaWebAuthn from '../src/index.js'
import { resolveOptions, type WebAuthnOptions } from '../src/options.js'

const fastify = { mfa: { options: { prefix: '/mfa' } } } as unknown as FastifyInstance
const base = { rpID: 'example.org', rpName: 'Example', origins: 'https://example.org' }
const resolve = (options: Partial<WebAuthnOptions>) => resolveOptions(options, fastify)

t.test('defaults', async (t) => {
  const opts = resolve(base)
  t.match(opts, {
    rpID: 'example.org',
    rpName: 'Example',
    origins: ['https://example.org'],
    attestationType: 'none',
    residentKey: 'preferred',
    userVerification: 'preferred',
    timeout: 60000,
    challengeTtl: 300,
    prefix: '/mfa',
    userDisplayName: null,
    collections: { credentials: 'webauthn_credentials', challenges: 'webauthn_challenges' }
  })
  t.equal(await opts.userName({} as never, 'u1'), 'u1')
  t.same(resolve({ ...base, origins: ['https://a.example.org', 'http://localhost:3000'] }).origins, ['https://a.example.org', 'http://localhost:3000'])
})

t.test('invalid options throw a TypeError naming the option', async (t) => {
  const cases: Array<[Partial<WebAuthnOptions>, RegExp]> = [
    [{ ...base, rpID: undefined }, /"rpID"/],
    [{ ...base, rpID: 'https://example.org' }, /"rpID"/],
    [{ ...base, rpName: '' }, /"rpName"/],
    [{ ...base, origins: undefined }, /"origins"/],
    [{ ...base, origins: [] }, /"origins"/],
    [{ ...base, origins: 'example.org' }, /"origins"/],
    [{ ...base, origins: 'https://example.org/login' }, /"origins"/],
    [{ ...base, attestationType: 'indirect' as never }, /"attestationType"/],
    [{ ...base, residentKey: 'yes' as never }, /"residentKey"/],
    [{ ...base, userVerification: 'always' as never }, /"userVerification"/],
    [{ ...base, timeout: 10 }, /"timeout"/],
    [{ ...base, challengeTtl: 0 }, /"challengeTtl"/],
    [{ ...base, challengeTtl: 1.5 }, /"challengeTtl"/],
    [{ ...base, prefix: 'mfa' }, /"prefix"/],
    [{ ...base, userName: 'alice' as never }, /"userName"/],
    [{ ...base, collections: { credentials: 'same', challenges: 'same' } }, /"collections"/]
  ]
  for (const [options, message] of cases) {
    t.throws(() => resolve(options), { name: 'TypeError', message }, JSON.stringify(options))
    t.throws(() => resolve(options), /^@fastify-mfa\/webauthn: /)
  }
})

t.test('the plugin refuses to start with bad options, and needs core', async (t) => {
  await t.rejects(buildTestApp(t, { core: mfaCore, store: 'memory', plugins: [[mfaWebAuthn, { rpName: 'x' }]] }), /rpID/)
  const Fastify = (await import('fastify')).default
  const app = Fastify()
  app.register(mfaWebAuthn, base)
  await t.rejects(async () => { await app.ready() }, /@fastify-mfa\/core/)
})

t.test('a custom prefix moves the routes', async (t) => {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory', plugins: [[mfaWebAuthn, { ...base, prefix: '/account/security' }]] })
  t.equal((await app.inject({ url: '/account/security/webauthn/credentials' })).statusCode, 401)
  t.equal((await app.inject({ url: '/mfa/webauthn/credentials' })).statusCode, 404)
})
