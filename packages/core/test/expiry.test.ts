import t from 'tap'
import { buildTestApp, eachStore, fakeClock, until } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'
import type { IndexSpec, MfaCollection, StoredDocument } from '../src/pluginKit.js'

interface Expiring extends StoredDocument { expiresAt: Date }
interface Kept extends StoredDocument { at: Date }

const ttl: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]
const DAY = 86_400_000
const monthTtl: IndexSpec[] = [{ name: 'month_ttl', key: { at: 1 }, expireAfterSeconds: 30 * 86_400 }] // like the events' retention
const ids = async (c: MfaCollection<Expiring>): Promise<string[]> => (await c.find({}, { sort: { _id: 1 } })).map((d) => d._id)

await eachStore(t, async (t, store) => {
  t.test('where the store does not expire documents, core removes expired ones after events are written, at most once a minute', async (t) => {
    const clock = fakeClock()
    let probe: MfaCollection<Expiring> | undefined
    let kept: MfaCollection<Kept> | undefined
    const app = await buildTestApp(t, {
      core: mfaCore,
      store,
      clock,
      routes: async (app) => {
        probe = app.mfa.collection<Expiring>('expiry_probe')
        app.mfa.ensureIndexes(probe, ttl)
        kept = app.mfa.collection<Kept>('expiry_kept')
        app.mfa.ensureIndexes(kept, monthTtl)
      }
    })
    const c = probe!
    if (await c.createIndexes(ttl)) {
      t.pass('this server removes expired documents by its TTL indexes; nothing for core to do')
      return
    }
    await c.insertMany([
      { _id: 'expired', expiresAt: new Date(clock.now() - 1000) },
      { _id: 'live', expiresAt: new Date(clock.now() + 10 * 60_000) }
    ])
    await kept!.insertMany([{ _id: 'old', at: new Date(clock.now() - 60 * DAY) }, { _id: 'recent', at: new Date(clock.now() - 10 * DAY) }])

    clock.advance(30)
    await app.mfa.emit('test.action', {})
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.same(await ids(c), ['expired', 'live'], 'no sweep within a minute of the last')

    clock.advance(31)
    await app.mfa.emit('test.action', {})
    await until(async () => (await ids(c)).length < 2 && (await kept!.countDocuments({})) < 2)
    t.same(await ids(c), ['live'], 'a minute later, the next event written starts a sweep that removes only expired documents')
    t.same((await kept!.find({})).map((d) => d._id), ['recent'], 'expireAfterSeconds counts from the indexed date')

    // A month-long TTL is swept once per 1% of a month (7.2 hours), not every minute.
    await kept!.insertOne({ _id: 'due soon', at: new Date(clock.now() - 30 * DAY + 60_000) })
    await c.insertOne({ _id: 'expired too', expiresAt: new Date(clock.now()) })
    clock.advance(5 * 60)
    await app.mfa.emit('test.action', {})
    await until(async () => (await ids(c)).length < 2)
    t.same(await ids(c), ['live'], 'the short-lived collection is swept again')
    t.same((await kept!.find({}, { sort: { _id: 1 } })).map((d) => d._id), ['due soon', 'recent'], 'the month-long one is not, yet')
    clock.advance(7.2 * 3600)
    await app.mfa.emit('test.action', {})
    await until(async () => (await kept!.countDocuments({})) < 2)
    t.same((await kept!.find({})).map((d) => d._id), ['recent'], '7.2 hours later it is')
  })
})
