import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import bcrypt from 'bcrypt'
import { normalizeBackupCode } from '../src/normalizeBackupCode.js'
import { freshUser, regenerate, setup, verify } from './helpers.js'

t.test('a code works once, in any typed form; a wrong code fails', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const codes = await regenerate(await freshUser(app, clock))
    t.equal(codes.length, 10)
    const [first, second] = codes as [string, string]
    t.same(await verify(app, 'u1', first.toUpperCase().replaceAll('-', ' ')), { ok: true, userId: 'u1', amr: ['rec'], aal: 2 })
    t.same(await verify(app, 'u1', first), { ok: false, reason: 'invalid' }, 'spent: second use refused')
    t.same(await verify(app, 'u2', second), { ok: false, reason: 'not_enrolled' }, 'codes belong to one user')
    const wrong = second.slice(0, -1) + (second.endsWith('a') ? 'b' : 'a')
    t.same(await verify(app, 'u1', wrong), { ok: false, reason: 'invalid' }, 'same hint, wrong rest')
    t.same(await verify(app, 'u1', second), { ok: true, userId: 'u1', amr: ['rec'], aal: 2 })
    t.equal((await app.mfa.backupCodes!.status('u1')).remaining, 8)
  })
})

t.test('20 concurrent uses of one code: exactly one succeeds', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, events } = await setup(t, store)
    const [code] = await regenerate(await freshUser(app, clock)) as [string]
    const results = await Promise.all(Array.from({ length: 20 }, async () => await verify(app, 'u1', code)))
    t.equal(results.filter((r) => r.ok).length, 1)
    t.ok(results.every((r) => r.ok || r.reason === 'invalid' || r.reason === 'replay'))
    t.equal(events.filter((e) => e.type === 'backup_codes.used').length, 1)
    t.equal((await app.mfa.backupCodes!.status('u1')).remaining, 9)
  })
})

t.test('regenerating invalidates every earlier code', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, events } = await setup(t, store)
    const user = await freshUser(app, clock)
    const old = await regenerate(user)
    clock.advance(60)
    const fresh = await regenerate(user)
    t.equal(new Set([...old, ...fresh]).size, 20, 'a new set of codes')
    for (const code of old) t.same(await verify(app, 'u1', code), { ok: false, reason: 'invalid' })
    t.equal((await app.mfa.backupCodes!.status('u1')).remaining, 10)
    t.ok((await verify(app, 'u1', fresh[0]!)).ok)
    t.equal(events.filter((e) => e.type === 'backup_codes.regenerated').length, 2)
  })
})

t.test('concurrent regenerations leave one live set, and it was shown to a caller', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app } = await setup(t, store)
    const service = app.mfa.backupCodes!
    const results = await Promise.allSettled(Array.from({ length: 4 }, async () => await service.regenerate('u1')))
    const shown = results.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
    for (const r of results) if (r.status === 'rejected') t.equal(r.reason.code, 'FST_MFA_BACKUP_CODES_CONFLICT')
    t.equal(shown.length, 1, 'exactly one caller was shown codes')
    t.equal((await service.status('u1')).remaining, 10, 'one set of 10 is live')
    const live = []
    for (const codes of shown) if ((await verify(app, 'u1', codes[0]!)).ok) live.push(codes)
    t.equal(live.length, 1, 'exactly one shown set works')
  })
})

t.test('a code consumed while a regeneration runs does not count', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const user = await freshUser(app, clock)
    const old = await regenerate(user)
    // Race the two: whatever the order, an old code never succeeds after the new set is shown.
    const [codes, result] = await Promise.all([regenerate(user), verify(app, 'u1', old[0]!)])
    t.ok(result.ok || result.reason === 'invalid', 'the use either finished before the swap or found the old set gone')
    for (const code of old) t.notOk((await verify(app, 'u1', code)).ok)
    t.ok((await verify(app, 'u1', codes[0]!)).ok)
  })
})

t.test('remaining counts down; used and low events never carry the code', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, events } = await setup(t, store, { options: { count: 5 } })
    const codes = await regenerate(await freshUser(app, clock))
    const seen: number[] = []
    for (const code of codes) {
      t.ok((await verify(app, 'u1', code)).ok)
      seen.push((await app.mfa.backupCodes!.status('u1')).remaining)
    }
    t.same(seen, [4, 3, 2, 1, 0])
    t.same(events.filter((e) => e.type === 'backup_codes.used').map((e) => e.details), [4, 3, 2, 1, 0].map((remaining) => ({ remaining })))
    t.same(events.filter((e) => e.type === 'backup_codes.low').map((e) => e.details.remaining), [2, 1, 0], 'low at 2 or fewer')
    t.ok(events.every((e) => e.method === 'backup-code' && e.userId === 'u1'))
    const serialized = JSON.stringify(events)
    for (const code of codes) {
      t.notOk(serialized.includes(code) || serialized.includes(code.replaceAll('-', '')), 'no code in events')
    }
    t.notMatch(serialized, /\$2[aby]\$/, 'no hash in events')
    t.equal(await app.mfa.factors.get('backup-code')!.isEnrolled('u1'), false, 'none left: not enrolled')
  })
})

t.test('issueIfNone hands out codes only to a user without any', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, events } = await setup(t, store)
    const issue = app.mfa.recoveryCodes!.issueIfNone
    const [a, b] = await Promise.all([issue('u1'), issue('u1')])
    t.equal([a, b].filter((codes) => codes !== null).length, 1, 'two first enrolments at once issue one set')
    const codes = (a ?? b)!
    t.equal(codes.length, 10)
    t.equal(await issue('u1'), null, 'has codes: nothing new')
    t.ok((await verify(app, 'u1', codes[0]!)).ok, 'the issued set is the live one')
    t.equal(events.filter((e) => e.type === 'backup_codes.created').length, 1)
  })
})

t.test('remove() deletes the codes (admin reset)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const codes = await regenerate(await freshUser(app, clock))
    const factor = app.mfa.factors.get('backup-code')!
    t.same(await factor.enrolledUserIds(), ['u1'])
    await factor.remove('u1')
    t.same(await verify(app, 'u1', codes[1]!), { ok: false, reason: 'not_enrolled' })
    t.same(await app.mfa.backupCodes!.status('u1'), { remaining: 0, createdAt: null })
    t.same(await factor.enrolledUserIds(), [])
  })
})

t.test('codes are stored only as bcrypt hashes, never in clear', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const codes = await regenerate(await freshUser(app, clock))
    const docs = await app.mfa.collection<{ _id: string, hash: string }>('backup_codes').find({})
    t.equal(docs.length, codes.length, 'one document per code')
    const stored = JSON.stringify(docs)
    for (const code of codes) {
      const normalized = normalizeBackupCode(code)!
      t.notOk(stored.includes(normalized) || stored.includes(code) || stored.includes(code.replaceAll('-', '')), 'no clear-text code stored')
      const matching = await Promise.all(docs.map(async (doc) => await bcrypt.compare(normalized, doc.hash)))
      t.equal(matching.filter(Boolean).length, 1, 'exactly one stored bcrypt hash matches the code')
    }
    for (const doc of docs) t.match(doc.hash, /^\$2[aby]\$04\$/, 'a bcrypt hash at the configured cost')
  })
})
