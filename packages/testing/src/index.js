import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { startTestMongo } from './mongo.js'

export { startTestMongo, findFerretDB } from './mongo.js'
export { buildTestApp, agent, fakeClock, until } from './app.js'
export { httpClient } from './http.js'

let shared = null
let users = 0

/**
 * One client per test process, on MONGODB_URI or on a database this process starts. It is closed
 * (and what was started is stopped) when the last test using it ends, so the process can exit.
 */
async function acquire () {
  users++
  shared ??= (async () => {
    const db = await startTestMongo()
    const client = await new MongoClient(db.uri, { serverSelectionTimeoutMS: 10_000 }).connect()
    return { client, db }
  })()
  return await shared
}

async function release () {
  if (--users > 0 || !shared) return
  const current = shared
  shared = null
  const { client, db } = await current
  await client.close()
  await db.stop()
}

/** A fresh database for one test, dropped in teardown. */
export async function testDb (t) {
  const { client } = await acquire()
  const db = client.db(`t_${randomBytes(6).toString('hex')}`)
  t.teardown(async () => {
    await db.dropDatabase().catch(() => {})
    await release()
  })
  return db
}

/** Store kinds to run: both unless FASTIFY_MFA_STORES narrows it (e.g. `memory` for a quick local run). */
export function storeKinds () {
  const wanted = (process.env.FASTIFY_MFA_STORES ?? 'memory,mongodb').split(',').map((s) => s.trim())
  return ['memory', 'mongodb'].filter((k) => wanted.includes(k))
}

/**
 * Runs `fn(t, store, kind)` once per store: `store` is `'memory'` or a fresh MongoDB `Db`, ready to
 * pass as the `store` option of @fastify-mfa/core.
 */
export async function eachStore (t, fn) {
  for (const kind of storeKinds()) {
    await t.test(`${kind} store`, async (t) => {
      const store = kind === 'memory' ? 'memory' : await testDb(t)
      await fn(t, store, kind)
    })
  }
}

/** A new, empty store of `kind` for one test: `'memory'`, or a fresh MongoDB database dropped in teardown. */
export async function freshStore (t, kind) {
  return kind === 'memory' ? 'memory' : await testDb(t)
}
