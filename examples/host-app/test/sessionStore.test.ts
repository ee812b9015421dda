import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { createMemoryStore, createMongoStore } from '@fastify-mfa/core'
import { CollectionSessionStore } from '../src/sessionStore.js'

const call = async <T> (fn: (callback: (err?: unknown, result?: T) => void) => void): Promise<T | undefined> =>
  await new Promise((resolve, reject) => { fn((err, result) => { err ? reject(err) : resolve(result) }) })

await eachStore(t, async (t, store) => {
  const db = store === 'memory' ? createMemoryStore() : createMongoStore(store)
  const sessions = new CollectionSessionStore(db.collection('sessions'))
  const signedIn = { cookie: { expires: new Date(Date.now() + 3_600_000) }, mfa: { userId: 'alice', aal: 2 } }

  t.test('a session is saved, read and destroyed', async (t) => {
    await call((cb) => { sessions.set('s1', signedIn, cb) })
    t.same(await call((cb) => { sessions.get('s1', cb) }), JSON.parse(JSON.stringify(signedIn)))
    await call((cb) => { sessions.destroy('s1', cb) })
    t.equal(await call((cb) => { sessions.get('s1', cb) }), null)
  })

  t.test('a request that ends after the logout does not bring the session back', async (t) => {
    await call((cb) => { sessions.set('s2', signedIn, cb) })
    await call((cb) => { sessions.destroy('s2', cb) })
    // @fastify/session saves a rolling session at the end of every request, also one that began before the logout.
    await call((cb) => { sessions.set('s2', signedIn, cb) })
    t.equal(await call((cb) => { sessions.get('s2', cb) }), null, 'still signed out')
  })

  t.test('a late save after the logout stays unreadable for as long as it lives, however long the cookie', async (t) => {
    let now = Date.UTC(2030, 0, 1)
    const lifetime = 30 * 86_400
    const clocked = new CollectionSessionStore(db.collection('sessions_clocked'), { lifetime, now: () => now })
    const month = { cookie: { expires: new Date(now + lifetime * 1000) }, mfa: { userId: 'alice', aal: 2 } }
    await call((cb) => { clocked.set('s3', month, cb) })
    await call((cb) => { clocked.destroy('s3', cb) })
    now += 60_000
    await call((cb) => { clocked.set('s3', month, cb) })
    for (const days of [2, 29]) {
      now = Date.UTC(2030, 0, 1) + days * 86_400_000
      t.equal(await call((cb) => { clocked.get('s3', cb) }), null, `still signed out after ${days} days`)
    }
    // Past the lifetime the late save has expired too, and so has the tombstone.
    now = Date.UTC(2030, 0, 1) + (lifetime + 7200) * 1000
    t.equal(await call((cb) => { clocked.get('s3', cb) }), null, 'gone for good')
  })

  t.test('a session lives no longer than the lifetime after its last save, whatever its cookie says', async (t) => {
    let now = Date.UTC(2030, 0, 1)
    const clocked = new CollectionSessionStore(db.collection('sessions_short'), { lifetime: 3600, now: () => now })
    const bob = { cookie: { expires: new Date(now + 30 * 86_400_000) }, mfa: { userId: 'bob' } }
    await call((cb) => { clocked.set('s4', bob, cb) })
    now += 3_000_000
    t.same(await call((cb) => { clocked.get('s4', cb) }), { cookie: { expires: new Date(Date.UTC(2030, 0, 31)).toISOString() }, mfa: { userId: 'bob' } })
    now += 1_000_000
    t.equal(await call((cb) => { clocked.get('s4', cb) }), null, 'expired an hour after its save')
  })

  t.test('destroyed again after a late save: the tombstone lives on from the second logout', async (t) => {
    let now = Date.UTC(2030, 0, 1)
    const clocked = new CollectionSessionStore(db.collection('sessions_twice'), { lifetime: 3600, now: () => now })
    const state = { cookie: {}, mfa: { userId: 'carol' } }
    await call((cb) => { clocked.set('s5', state, cb) })
    await call((cb) => { clocked.destroy('s5', cb) })
    now += 3 * 3600_000
    await call((cb) => { clocked.set('s5', state, cb) })
    await call((cb) => { clocked.destroy('s5', cb) })
    await call((cb) => { clocked.set('s5', state, cb) })
    now += 1800_000
    t.equal(await call((cb) => { clocked.get('s5', cb) }), null)
  })
})
