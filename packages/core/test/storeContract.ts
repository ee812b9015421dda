import type { Test } from 'tap'
import { casRegister, claim, consume, isDuplicateKeyError, type IndexSpec, type MfaStore } from '../src/index.js'

interface Item { _id: string, n?: number, tags?: string[], map?: Record<string, string>, expiresAt?: Date, owner?: string, step?: number }

const times = (n: number) => Array.from({ length: n }, (_, i) => i)

/** The store contract: every case runs on each implementation and must behave the same. */
export async function testStore (t: Test, makeStore: () => Promise<MfaStore>): Promise<void> {
  const fresh = async (name = 'items') => {
    const c = (await makeStore()).collection<Item>(`contract_${name}`)
    await c.createIndexes([{ name: 'owner_unique', key: { owner: 1 }, unique: true, sparse: true }])
    return c
  }

  t.test('documents are copied in and out', async (t) => {
    const c = await fresh()
    const doc: Item = { _id: 'a', tags: ['x'] }
    await c.insertOne(doc)
    doc.tags!.push('mutated')
    const found = await c.findOne({ _id: 'a' })
    t.same(found, { _id: 'a', tags: ['x'] })
    found!.tags!.push('again')
    t.same((await c.findOne({ _id: 'a' }))!.tags, ['x'])
  })

  t.test('inserting a duplicate _id or unique key throws code 11000', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', owner: 'u1' })
    await t.rejects(c.insertOne({ _id: 'a' }), { code: 11000 })
    const err = await c.insertOne({ _id: 'b', owner: 'u1' }).catch((e: unknown) => e)
    t.ok(isDuplicateKeyError(err), 'unique index refuses a second owner u1')
    await c.insertOne({ _id: 'c' })
    await c.insertOne({ _id: 'd' })
    t.equal(await c.countDocuments({}), 3, 'sparse unique index allows several documents without the field')
    await c.deleteOne({ _id: 'a' })
    await c.insertOne({ _id: 'e', owner: 'u1' })
    t.equal((await c.findOne({ owner: 'u1' }))!._id, 'e', 'a deleted owner frees its unique key')
  })

  t.test('find sorts and limits; count and delete report numbers', async (t) => {
    const c = await fresh()
    await c.insertMany([{ _id: 'a', n: 2 }, { _id: 'b', n: 3 }, { _id: 'c', n: 1 }])
    t.same((await c.find({}, { sort: { n: -1 }, limit: 2 })).map((d) => d._id), ['b', 'a'])
    t.same((await c.find({ n: { $gte: 2 } }, { sort: { n: 1 } })).map((d) => d._id), ['a', 'b'])
    t.equal(await c.countDocuments({ n: { $lt: 3 } }), 2)
    t.equal(await c.deleteOne({ _id: 'zzz' }), 0)
    t.equal(await c.deleteMany({ n: { $lt: 3 } }), 2)
    t.equal(await c.countDocuments({}), 1)
  })

  t.test('update operators and counts', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1, tags: ['x', 'y'] })
    t.same(await c.updateOne({ _id: 'a' }, { $inc: { n: 2 }, $push: { tags: 'z' } }), { matchedCount: 1, modifiedCount: 1, upsertedCount: 0 })
    t.same(await c.updateOne({ _id: 'a' }, { $pull: { tags: 'x' } }), { matchedCount: 1, modifiedCount: 1, upsertedCount: 0 })
    t.same(await c.updateOne({ _id: 'missing' }, { $set: { n: 1 } }), { matchedCount: 0, modifiedCount: 0, upsertedCount: 0 })
    t.same(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3, tags: ['y', 'z'] })
    await c.updateOne({ _id: 'a' }, { $unset: { tags: '' } })
    t.same(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3 })
    await c.insertOne({ _id: 'b', n: 3 })
    t.same(await c.updateMany({ n: 3 }, { $set: { step: 1 } }), { matchedCount: 2, modifiedCount: 2, upsertedCount: 0 })
  })

  t.test('upsert applies $setOnInsert only on insert', async (t) => {
    const c = await fresh()
    const r = await c.updateOne({ _id: 'u' }, { $set: { n: 1 }, $setOnInsert: { step: 7 } }, { upsert: true })
    t.equal(r.upsertedCount, 1)
    await c.updateOne({ _id: 'u' }, { $set: { n: 2 }, $setOnInsert: { step: 9 } }, { upsert: true })
    t.same(await c.findOne({ _id: 'u' }), { _id: 'u', n: 2, step: 7 })
    const created = await c.findOneAndUpdate({ _id: 'v' }, { $setOnInsert: { step: 1 } }, { upsert: true, returnDocument: 'after' })
    t.same(created, { _id: 'v', step: 1 })
  })

  t.test('findOneAndUpdate returns the document before or after', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1 })
    t.same(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }, { returnDocument: 'before' }), { _id: 'a', n: 1 })
    t.same(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }), { _id: 'a', n: 3 })
    t.equal(await c.findOneAndUpdate({ _id: 'a', n: { $lt: 3 } }, { $inc: { n: 1 } }), null, 'a failed condition changes nothing')
    t.equal((await c.findOne({ _id: 'a' }))!.n, 3)
  })

  t.test('expiry is checked in the query', async (t) => {
    const c = await fresh()
    const now = new Date('2030-01-01T00:00:00Z')
    await c.insertMany([
      { _id: 'old', expiresAt: new Date(now.getTime() - 1) },
      { _id: 'edge', expiresAt: now },
      { _id: 'live', expiresAt: new Date(now.getTime() + 1000) }
    ])
    t.same((await c.find({ expiresAt: { $gt: now } })).map((d) => d._id), ['live'])
    t.equal(await c.findOneAndDelete({ _id: 'old', expiresAt: { $gt: now } }), null, 'an expired document cannot be consumed')
  })

  t.test('consume(): 50 concurrent consumers of one document, exactly one winner', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'ticket', n: 1 })
    const results = await Promise.all(times(50).map(() => consume(c, { _id: 'ticket' })))
    t.equal(results.filter((r) => r !== null).length, 1)
    t.equal(await c.countDocuments({}), 0)
    t.equal(await consume(c, { _id: 'ticket' }), null, 'consumed documents stay consumed')
  })

  t.test('consume() checks the whole filter, expiry included', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'old', expiresAt: new Date(1000) })
    t.equal(await consume(c, { _id: 'old', expiresAt: { $gt: new Date(2000) } }), null)
    t.equal(await c.countDocuments({}), 1, 'an expired document is not consumed')
  })

  t.test('claim(): 50 concurrent inserts of one _id, exactly one winner', async (t) => {
    const c = await fresh()
    const results = await Promise.all(times(50).map((i) => claim(c, { _id: 'step:42', n: i })))
    t.equal(results.filter(Boolean).length, 1)
    t.equal(await c.countDocuments({}), 1)
  })

  t.test('compare-and-set: 50 concurrent writers of version 1, exactly one winner', async (t) => {
    const cas = casRegister<number>((await makeStore()).collection('contract_cas'), () => Date.now())
    const seen = await cas.read('k')
    t.same(seen, { version: 0, value: null })
    const results = await Promise.all(times(50).map((i) => cas.compareAndSet('k', seen, i)))
    t.equal(results.filter(Boolean).length, 1)
    const after = await cas.read('k')
    t.equal(after.version, 1)
    t.equal(await cas.compareAndSet('k', seen, 99), false, 'a writer holding a stale version loses')
    t.ok(await cas.compareAndSet('k', after, 100))
    t.same(await cas.read('k'), { version: 2, value: 100 })
    t.equal(await cas.compareAndSet('k', seen, 7), false, 'an old version cannot be written again')
    t.same(await cas.read('k'), { version: 2, value: 100 })
    await cas.remove('k')
    t.same(await cas.read('k'), { version: 0, value: null })
  })

  t.test('guarded increment: 50 concurrent increments below 5, exactly 5 succeed', async (t) => {
    const cas = casRegister<number>((await makeStore()).collection('contract_cas'), () => Date.now())
    const results = await Promise.all(times(50).map(() => cas.update('attempts', (n) => (n ?? 0) < 5 ? (n ?? 0) + 1 : null)))
    t.equal(results.filter((r) => r !== null).length, 5)
    t.same(results.filter((r) => r !== null).sort(), [1, 2, 3, 4, 5], 'each count is handed out once')
    t.equal((await cas.read('attempts')).value, 5)
  })

  t.test('compare-and-set values expire in the query', async (t) => {
    let now = 1000
    const cas = casRegister<string>((await makeStore()).collection('contract_cas'), () => now)
    t.ok(await cas.compareAndSet('e', await cas.read('e'), 'v', new Date(2000)))
    t.equal((await cas.read('e')).value, 'v')
    now = 2000
    t.equal((await cas.read('e')).value, null)
  })

  t.test('createIndexes is idempotent and tolerates TTL indexes', async (t) => {
    const store = await makeStore()
    const c = store.collection<Item>('contract_indexes')
    const warnings: string[] = []
    const log = { warn: (_: object, msg: string) => { warnings.push(msg) } }
    const specs: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }, { name: 'owner_unique', key: { owner: 1 }, unique: true, sparse: true }]
    await c.createIndexes(specs, log)
    await c.createIndexes(specs, log)
    await store.collection('contract_other').createIndexes(specs, log)
    await c.insertOne({ _id: 'a', owner: 'x' })
    await t.rejects(c.insertOne({ _id: 'b', owner: 'x' }), { code: 11000 })
    t.ok(warnings.length <= 1, 'a server that refuses TTL indexes is reported once')
  })
}
