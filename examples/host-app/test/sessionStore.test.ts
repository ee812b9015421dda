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
})
