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
    relatedOrigins: [],
    expectedOrigins: ['https://example.org'],
    attestationType: 'none',
    authenticatorNames: {},
    syncedPasskeyAal: 2,
    autoUpgrade: true,
    autoUpgradeWindow: 300,
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
  t.same(opts.aaguids, { allow: null, deny: new Set() }, 'every authenticator')
})

t.test('relatedOrigins, aaguids and authenticatorNames are normalised', async (t) => {
  const opts = resolve({
    ...base,
    relatedOrigins: ['https://example.co.uk', 'https://example.org', 'https://example.co.uk'],
    aaguids: { allow: ['CB69481E-8FF7-4039-93EC-0A2729A154A8'], deny: [] },
    authenticatorNames: { 'CB69481E-8FF7-4039-93EC-0A2729A154A8': 'Ours' }
  })
  t.same(opts.relatedOrigins, ['https://example.co.uk', 'https://example.org'])
  t.same(opts.expectedOrigins, ['https://example.org', 'https://example.co.uk'])
  t.same([...opts.aaguids.allow!], ['cb69481e-8ff7-4039-93ec-0a2729a154a8'])
  t.same(opts.authenticatorNames, { 'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'Ours' })
  t.equal(resolve({ ...base, syncedPasskeyAal: 3, autoUpgrade: false }).syncedPasskeyAal, 3)
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
    [{ ...base, relatedOrigins: 'https://example.co.uk' as never }, /"relatedOrigins"/],
    [{ ...base, relatedOrigins: ['example.co.uk'] }, /"relatedOrigins"/],
    [{ ...base, relatedOrigins: ['https://example.co.uk/'] }, /"relatedOrigins"/],
    [{ ...base, aaguids: [] as never }, /"aaguids"/],
    [{ ...base, aaguids: { allow: 'cb69481e-8ff7-4039-93ec-0a2729a154a8' as never } }, /"aaguids.allow"/],
    [{ ...base, aaguids: { deny: ['yubikey'] } }, /"aaguids.deny"/],
    [{ ...base, aaguids: { block: [] } as never }, /"aaguids" has unknown keys: block/],
    [{ ...base, authenticatorNames: { yubikey: 'YubiKey' } }, /"authenticatorNames"/],
    [{ ...base, authenticatorNames: { 'cb69481e-8ff7-4039-93ec-0a2729a154a8': '' } }, /"authenticatorNames"/],
    [{ ...base, syncedPasskeyAal: 1 as never }, /"syncedPasskeyAal"/],
    [{ ...base, autoUpgrade: 'yes' as never }, /"autoUpgrade"/],
    [{ ...base, autoUpgradeWindow: 0 }, /"autoUpgradeWindow"/],
    [{ ...base, autoUpgradeWindow: 3601 }, /"autoUpgradeWindow"/],
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
