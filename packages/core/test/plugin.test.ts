import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import Fastify from 'fastify'
import cookie from '@fastify/cookie'
import session from '@fastify/session'
import { agent, buildTestApp, eachStore, fakeClock } from '@fastify-mfa/testing'
import mfaCore, { createMemoryStore, createMongoStore, errors, type MfaEvent, type MfaStore } from '../src/index.js'
import type { MfaFactor, StoredDocument } from '../src/pluginKit.js'

const keys = [{ id: 'k', key: randomBytes(32) }]

/** Registers core with `options` and starts the app; resolves when it started. */
async function start (options: Record<string, unknown>, withSession = true): Promise<void> {
  const app = Fastify()
  try {
    if (withSession) {
      await app.register(cookie)
      await app.register(session, { secret: 'x'.repeat(32) })
    }
    await app.register(mfaCore, options as never)
    await app.ready()
  } finally {
    await app.close()
  }
}

t.test('bad options fail at startup with a message naming the option', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ encryptionKeys: keys }, /option "store"/],
    [{ store: 'mongo', encryptionKeys: keys }, /option "store"/],
    [{ store: { kind: '', collection: () => null }, encryptionKeys: keys }, /option "store"/],
    [{ store: 'memory' }, /option "encryptionKeys"/],
    [{ store: 'memory', encryptionKeys: [] }, /option "encryptionKeys"/],
    [{ store: 'memory', encryptionKeys: keys, freshAge: 0 }, /option "freshAge"/],
    [{ store: 'memory', encryptionKeys: keys, collectionPrefix: 'a-b' }, /option "collectionPrefix"/],
    [{ store: 'memory', encryptionKeys: keys, prefix: 'mfa' }, /option "prefix"/],
    [{ store: 'memory', encryptionKeys: keys, eventRetentionDays: 0 }, /option "eventRetentionDays"/]
  ]
  for (const [options, message] of cases) {
    await t.rejects(start(options), { name: 'TypeError', message }, String(message))
  }
})

t.test('core needs @fastify/session', async (t) => {
  await t.rejects(start({ store: 'memory', encryptionKeys: keys }, false), /@fastify\/session/)
})

t.test('the memory store logs that nothing persists', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (l: string) => { lines.push(l) } } } })
  await app.register(cookie)
  await app.register(session, { secret: 'x'.repeat(32) })
  await app.register(mfaCore, { store: 'memory', encryptionKeys: keys })
  await app.ready()
  t.match(lines.join(''), /nothing is persisted/)
  await app.close()
})

t.test('a third backend is any { kind, collection }: core uses it and reports its kind', async (t) => {
  const memory = createMemoryStore()
  const names: string[] = []
  const custom: MfaStore = { kind: 'custom', collection: (name) => { names.push(name); return memory.collection(name) } }
  const lines: string[] = []
  const app = await buildTestApp(t, { core: mfaCore, store: custom, logger: { level: 'warn', stream: { write: (l: string) => { lines.push(l) } } } })
  await app.mfa.emit('admin.note' as never, { userId: 'u1' })
  t.equal(app.mfa.options.storeKind, 'custom')
  t.ok(names.includes('mfa_events'), 'collections come from the custom store')
  t.equal((await memory.collection('mfa_events').find({ userId: 'u1' })).length, 1)
  t.notMatch(lines.join(''), /nothing is persisted/, 'only the memory store warns')
})

t.test('factor registry refuses malformed and duplicate factors', async (t) => {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory' })
  const factor: MfaFactor = { id: 'totp', amr: 'otp', kind: 'code', isEnrolled: async () => false, enrolledUserIds: async () => [], verifyCode: async () => ({ ok: false, reason: 'invalid' }), remove: async () => {} }
  app.mfa.factors.register(factor)
  t.throws(() => app.mfa.factors.register(factor), /already registered/)
  t.throws(() => app.mfa.factors.register({ ...factor, id: 'Bad Id' }), /lowercase/)
  t.throws(() => app.mfa.factors.register({ ...factor, id: 'x', verifyCode: undefined }), /verifyCode/)
  t.throws(() => app.mfa.factors.register({ ...factor, id: 'y', kind: 'ceremony' }), /challenge/)
})

await eachStore(t, async (t, store) => {
  t.test('events are stored, logged without secrets and passed to hooks', async (t) => {
    const lines: string[] = []
    const clock = fakeClock()
    const app = await buildTestApp(t, {
      core: mfaCore, store, clock, logger: { level: 'info', stream: { write: (l: string) => { lines.push(l) } } }
    })
    const seen: MfaEvent[] = []
    app.mfa.on('totp.enabled', (e) => { seen.push(e) })
    app.mfa.on('*', () => { throw new Error('a failing hook does not break the request') })
    await app.mfa.emit('totp.enabled', { userId: 'u1', method: 'totp', details: { secret: 'JBSWY3DP', code: '123456', token: 't', label: 'phone' } })
    clock.advance(1)
    await app.mfa.emit('login.success', { userId: 'u1' })
    const recent = await app.mfa.events.recent('u1', 10)
    t.same(recent.map((e) => e.type), ['login.success', 'totp.enabled'], 'newest first')
    t.same(recent[1]!.details, { label: 'phone' }, 'secret-looking fields are dropped')
    t.equal(seen.length, 1)
    t.notMatch(lines.join(''), /JBSWY3DP|123456/)
    t.match(lines.join(''), /mfa event totp.enabled/)
  })

  /** The store with `mfa_events.insertMany` replaced by `insertMany(docs, original)`. */
  const withEventWrites = (insertMany: (docs: MfaEvent[], original: (docs: MfaEvent[]) => Promise<void>) => Promise<void>): MfaStore => {
    const inner = store === 'memory' ? createMemoryStore() : createMongoStore(store)
    return {
      kind: inner.kind,
      collection<T extends StoredDocument> (name: string) {
        const c = inner.collection<T>(name)
        if (name !== 'mfa_events') return c
        const original = c.insertMany.bind(c) as unknown as (docs: MfaEvent[]) => Promise<void>
        return new Proxy(c, {
          get: (target, key) => key === 'insertMany'
            ? async (docs: MfaEvent[]) => { await insertMany(docs, original) }
            : typeof Reflect.get(target, key) === 'function' ? Reflect.get(target, key).bind(target) : Reflect.get(target, key)
        })
      }
    }
  }

  t.test('events emitted together share one write; each emit resolves once its event is stored', async (t) => {
    const writes: number[] = []
    const app = await buildTestApp(t, { core: mfaCore, store: withEventWrites(async (docs, original) => { writes.push(docs.length); await original(docs) }) })
    const emitted = await Promise.all((['mfa.code_accepted', 'login.success', 'login.success'] as const).map(async (type, i) => {
      await app.mfa.emit(type, { userId: `batch${i}` })
      return (await app.mfa.events.recent(`batch${i}`, 1)).map((e) => e.type)
    }))
    t.same(emitted, [['mfa.code_accepted'], ['login.success'], ['login.success']], 'stored when the emit resolves')
    t.same(writes, [3], 'one insertMany for the three')
  })

  t.test('one event write at a time: events emitted while it runs go in the next one together', async (t) => {
    const writes: number[] = []
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const app = await buildTestApp(t, {
      core: mfaCore,
      store: withEventWrites(async (docs, original) => {
        writes.push(docs.length)
        if (writes.length === 1) await held
        await original(docs)
      })
    })
    const first = app.mfa.emit('login.success', { userId: 'g0' })
    while (writes.length === 0) await new Promise((resolve) => setImmediate(resolve))
    const later = [1, 2, 3].map(async (i) => {
      await new Promise((resolve) => setTimeout(resolve, i)) // separate ticks, while the first write runs
      await app.mfa.emit('login.success', { userId: `g${i}` })
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    t.same(writes, [1], 'nothing else is written while the first write runs')
    release()
    await Promise.all([first, ...later])
    t.same(writes, [1, 3], 'the three that waited share one write')
    t.same((await app.mfa.events.recent('g3', 1)).map((e) => e.type), ['login.success'])
  })

  t.test('a failed event write fails each emit that waited for it', async (t) => {
    const app = await buildTestApp(t, { core: mfaCore, store: withEventWrites(async () => { throw new Error('database unavailable') }) })
    const results = await Promise.allSettled([app.mfa.emit('login.success', { userId: 'a' }), app.mfa.emit('login.success', { userId: 'b' })])
    t.same(results.map((r) => r.status), ['rejected', 'rejected'])
  })

  t.test('GET /mfa collects the summaries; stats() counts users by factor', async (t) => {
    const app = await buildTestApp(t, { core: mfaCore, store })
    app.mfa.addSummary('totp', async (userId) => userId === 'u1')
    app.mfa.factors.register({ id: 'totp', amr: 'otp', kind: 'code', isEnrolled: async (u) => u === 'u1', enrolledUserIds: async () => ['u1', 'u2'], verifyCode: async () => ({ ok: false, reason: 'invalid' }), remove: async () => {} })
    app.mfa.factors.register({ id: 'backup-code', amr: 'rec', kind: 'code', recovery: true, isEnrolled: async () => true, enrolledUserIds: async () => ['u1', 'u3'], verifyCode: async () => ({ ok: false, reason: 'invalid' }), remove: async () => {} })
    const user = agent(app)
    t.equal((await user.inject({ url: '/mfa' })).statusCode, 401)
    await user.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'otp'] })
    t.same((await user.inject({ url: '/mfa' })).json(), { totp: true })
    t.same(await app.mfa.stats(), { usersWithMfa: 2, byMethod: { totp: 2, 'backup-code': 2 } }, 'recovery codes alone are not MFA')
    t.same(await app.mfa.factors.enrolled('u1'), ['totp', 'backup-code'])
    t.same(await app.mfa.factors.enrolled('u3'), [], 'backup codes are offered only with a primary factor')
  })

  t.test('regression: concurrent first uses of a user record agree on one stamp (no duplicate-key 500)', async (t) => {
    const app = await buildTestApp(t, { core: mfaCore, store })
    for (let round = 0; round < 10; round++) {
      const stamps = await Promise.all(Array.from({ length: 30 }, () => app.mfa.users.securityStamp(`race-user-${round}`)))
      t.equal(new Set(stamps).size, 1, `round ${round}`)
    }
  })

  t.test('security stamps are stable until changed', async (t) => {
    const app = await buildTestApp(t, { core: mfaCore, store })
    const first = await app.mfa.users.securityStamp('stamp-user')
    t.equal(await app.mfa.users.securityStamp('stamp-user'), first)
    await app.mfa.securityStampChanged('stamp-user', { reason: 'password_changed' })
    t.not(await app.mfa.users.securityStamp('stamp-user'), first)
    t.same((await app.mfa.events.recent('stamp-user', 1)).map((e) => e.type), ['security_stamp.changed'])
  })
})

t.test('every error code is unique, equals its key and is documented in the README', async (t) => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  const codes = Object.entries(errors).map(([key, E]) => { t.equal(new E().code, key); return key })
  t.equal(new Set(codes).size, codes.length)
  for (const code of codes) t.match(readme, `\`${code}\``, `${code} is in the README`)
})
