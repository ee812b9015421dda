import assert from 'node:assert/strict'
import { claim, claimEach, consume } from './store/atomics.js'
import { insertedBefore, isDuplicateKeyError, type IndexSpec, type MfaStore } from './store/types.js'

/** What the contract needs of a test runner: named async cases (tap's `t.test`, node:test's `test`…). */
export interface ContractRunner {
  test(name: string, fn: () => Promise<void>): unknown
}

interface Item { _id: string, n?: number, tags?: string[], map?: Record<string, string>, expiresAt?: Date, owner?: string, step?: number }

const times = (n: number) => Array.from({ length: n }, (_, i) => i)

/**
 * The store contract (`@fastify-mfa/core/store-contract`): every case runs on each implementation
 * and must behave the same (node:assert inside, so any runner will do). A third backend proves
 * itself by passing it, e.g. with tap:
 * `await testStore(t, async () => createMyStore(await freshDatabase()))` (one fresh store per case).
 */
export async function testStore (t: ContractRunner, makeStore: () => Promise<MfaStore>): Promise<void> {
  const fresh = async (name = 'items') => {
    const c = (await makeStore()).collection<Item>(`contract_${name}`)
    await c.createIndexes([{ name: 'owner_unique', key: { owner: 1 }, unique: true, sparse: true }])
    return c
  }

  t.test('documents are copied in and out', async () => {
    const c = await fresh()
    const doc: Item = { _id: 'a', tags: ['x'] }
    await c.insertOne(doc)
    doc.tags!.push('mutated')
    const found = await c.findOne({ _id: 'a' })
    assert.deepStrictEqual(found, { _id: 'a', tags: ['x'] })
    found!.tags!.push('again')
    assert.deepStrictEqual((await c.findOne({ _id: 'a' }))!.tags, ['x'])
  })

  t.test('inserting a duplicate _id or unique key throws code 11000', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', owner: 'u1' })
    await assert.rejects(c.insertOne({ _id: 'a' }), { code: 11000 })
    const err = await c.insertOne({ _id: 'b', owner: 'u1' }).catch((e: unknown) => e)
    assert.ok(isDuplicateKeyError(err), 'unique index refuses a second owner u1')
    await c.insertOne({ _id: 'c' })
    await c.insertOne({ _id: 'd' })
    assert.equal(await c.countDocuments({}), 3, 'sparse unique index allows several documents without the field')
    await c.deleteOne({ _id: 'a' })
    await c.insertOne({ _id: 'e', owner: 'u1' })
    assert.equal((await c.findOne({ owner: 'u1' }))!._id, 'e', 'a deleted owner frees its unique key')
  })

  t.test('find sorts and limits; count and delete report numbers', async () => {
    const c = await fresh()
    await c.insertMany([{ _id: 'a', n: 2 }, { _id: 'b', n: 3 }, { _id: 'c', n: 1 }])
    assert.deepStrictEqual((await c.find({}, { sort: { n: -1 }, limit: 2 })).map((d) => d._id), ['b', 'a'])
    assert.deepStrictEqual((await c.find({ n: { $gte: 2 } }, { sort: { n: 1 } })).map((d) => d._id), ['a', 'b'])
    assert.equal(await c.countDocuments({ n: { $lt: 3 } }), 2)
    assert.equal(await c.deleteOne({ _id: 'zzz' }), 0)
    assert.equal(await c.deleteMany({ n: { $lt: 3 } }), 2)
    assert.equal(await c.countDocuments({}), 1)
  })

  t.test('update operators and counts', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1, tags: ['x', 'y'] })
    assert.deepStrictEqual(await c.updateOne({ _id: 'a' }, { $inc: { n: 2 }, $push: { tags: 'z' } }), { matchedCount: 1, modifiedCount: 1, upsertedCount: 0 })
    assert.deepStrictEqual(await c.updateOne({ _id: 'a' }, { $pull: { tags: 'x' } }), { matchedCount: 1, modifiedCount: 1, upsertedCount: 0 })
    assert.deepStrictEqual(await c.updateOne({ _id: 'missing' }, { $set: { n: 1 } }), { matchedCount: 0, modifiedCount: 0, upsertedCount: 0 })
    assert.deepStrictEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3, tags: ['y', 'z'] })
    await c.updateOne({ _id: 'a' }, { $unset: { tags: '' } })
    assert.deepStrictEqual(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3 })
  })

  t.test('upsert applies $setOnInsert only on insert', async () => {
    const c = await fresh()
    const r = await c.updateOne({ _id: 'u' }, { $set: { n: 1 }, $setOnInsert: { step: 7 } }, { upsert: true })
    assert.equal(r.upsertedCount, 1)
    await c.updateOne({ _id: 'u' }, { $set: { n: 2 }, $setOnInsert: { step: 9 } }, { upsert: true })
    assert.deepStrictEqual(await c.findOne({ _id: 'u' }), { _id: 'u', n: 2, step: 7 })
  })

  t.test('expiry is checked in the query', async () => {
    const c = await fresh()
    const now = new Date('2030-01-01T00:00:00Z')
    await c.insertMany([
      { _id: 'old', expiresAt: new Date(now.getTime() - 1) },
      { _id: 'edge', expiresAt: now },
      { _id: 'live', expiresAt: new Date(now.getTime() + 1000) }
    ])
    assert.deepStrictEqual((await c.find({ expiresAt: { $gt: now } })).map((d) => d._id), ['live'])
    assert.equal(await c.deleteOne({ _id: 'old', expiresAt: { $gt: now } }), 0, 'an expired document cannot be consumed')
    assert.equal(await c.countDocuments({}), 3)
  })

  t.test('consume(): 50 concurrent consumers of one document, exactly one winner', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'ticket', n: 1 })
    const results = await Promise.all(times(50).map(() => consume(c, { _id: 'ticket' })))
    assert.equal(results.filter((r) => r !== null).length, 1)
    assert.equal(await c.countDocuments({}), 0)
    assert.equal(await consume(c, { _id: 'ticket' }), null, 'consumed documents stay consumed')
  })

  t.test('consume() checks the whole filter, expiry included', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'old', expiresAt: new Date(1000) })
    assert.equal(await consume(c, { _id: 'old', expiresAt: { $gt: new Date(2000) } }), null)
    assert.equal(await c.countDocuments({}), 1, 'an expired document is not consumed')
  })

  t.test('counted delete: 50 concurrent deletes of one document, exactly one gets 1', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'pending' })
    const counts = await Promise.all(times(50).map(() => c.deleteOne({ _id: 'pending' })))
    assert.equal(counts.filter((n) => n === 1).length, 1)
    assert.equal(counts.filter((n) => n === 0).length, 49)
  })

  t.test('counted deleteMany: of 20 racers each deleting a shared document and its own, exactly one removes both', async () => {
    const c = await fresh()
    await c.insertMany([{ _id: 'shared' }, ...times(20).map((i) => ({ _id: `own${i}` }))])
    const counts = await Promise.all(times(20).map((i) => c.deleteMany({ _id: { $in: ['shared', `own${i}`] } })))
    assert.equal(counts.filter((n) => n === 2).length, 1)
    assert.equal(counts.filter((n) => n === 1).length, 19)
    assert.equal(await c.countDocuments({}), 0)
  })

  t.test('claim(): 50 concurrent inserts of one _id, exactly one winner', async () => {
    const c = await fresh()
    const results = await Promise.all(times(50).map((i) => claim(c, { _id: 'step:42', n: i })))
    assert.equal(results.filter(Boolean).length, 1)
    assert.equal(await c.countDocuments({}), 1)
  })

  t.test('insertMany is ordered: it stops at the first duplicate and says how many went in', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'b' })
    const err = await c.insertMany([{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }]).then(() => null, (e: unknown) => e)
    assert.ok(isDuplicateKeyError(err), 'a duplicate is reported as one')
    assert.equal(insertedBefore(err), 1, 'one document went in before it')
    assert.deepStrictEqual((await c.find({}, { sort: { _id: 1 } })).map((d) => d._id), ['a', 'b'], 'nothing after it')
  })

  t.test('claimEach(): 20 racers claiming two shared _ids and one of their own: each shared one has one winner, every own one is won', async () => {
    const c = await fresh()
    await c.insertOne({ _id: 'held' })
    const results = await Promise.all(times(20).map((i) => claimEach(c, [{ _id: 'held' }, { _id: 'shared1' }, { _id: 'shared2' }, { _id: `own${i}` }])))
    assert.ok(results.every((r) => r[0] === false), 'a document held before is never won')
    assert.equal(results.filter((r) => r[1]).length, 1, 'shared1 has one winner')
    assert.equal(results.filter((r) => r[2]).length, 1, 'shared2 has one winner')
    assert.ok(results.every((r) => r[3] === true), 'each racer\'s own document goes in after the shared ones it lost')
    assert.equal(await c.countDocuments({}), 23)
  })

  t.test('createIndexes is idempotent and tolerates TTL indexes', async () => {
    const store = await makeStore()
    const c = store.collection<Item>('contract_indexes')
    const warnings: string[] = []
    const log = { warn: (_: object, msg: string) => { warnings.push(msg) } }
    const specs: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }, { name: 'owner_unique', key: { owner: 1 }, unique: true, sparse: true }]
    await c.createIndexes(specs, log)
    await c.createIndexes(specs, log)
    await store.collection('contract_other').createIndexes(specs, log)
    await c.insertOne({ _id: 'a', owner: 'x' })
    await assert.rejects(c.insertOne({ _id: 'b', owner: 'x' }), { code: 11000 })
    assert.ok(warnings.length <= 1, 'a server that refuses TTL indexes is reported once')
  })
}
