import type { Collection, Db, Document } from 'mongodb'
import type { IndexSpec, MfaCollection, MfaStore, StoredDocument, UpdateResult } from './types.js'

function toResult (r: { matchedCount: number, modifiedCount: number, upsertedCount?: number }): UpdateResult {
  return { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount, upsertedCount: r.upsertedCount ?? 0 }
}

// Some MongoDB-compatible servers (FerretDB, older DocumentDB) refuse `expireAfterSeconds`.
function isTtlRefusal (err: unknown): boolean {
  const message = err instanceof Error ? err.message : ''
  return /expireAfterSeconds|TTL/i.test(message) || (err as { code?: number }).code === 238
}

async function createIndexes (collection: Collection<Document>, specs: IndexSpec[],
  log: { warn(obj: object, msg: string): void } | undefined, ttlRefused: { logged: boolean }): Promise<boolean> {
  let expires = true
  for (const spec of specs) {
    // Only defined options: the driver would send `undefined` ones as null.
    const options = {
      name: spec.name,
      ...(spec.unique ? { unique: true } : {}),
      ...(spec.sparse ? { sparse: true } : {})
    }
    try {
      await collection.createIndex(spec.key, spec.expireAfterSeconds === undefined ? options : { ...options, expireAfterSeconds: spec.expireAfterSeconds })
    } catch (err) {
      if (spec.expireAfterSeconds === undefined || !isTtlRefusal(err)) throw err
      expires = false
      if (!ttlRefused.logged) {
        ttlRefused.logged = true // once per store, not once per index
        log?.warn({ collection: collection.collectionName, index: spec.name },
          'fastify-mfa: the server refuses TTL indexes; fastify-mfa removes expired documents itself, once a minute')
      }
      await collection.createIndex(spec.key, options)
    }
  }
  return expires
}

function mongoCollection<T extends StoredDocument> (db: Db, name: string, ttlRefused: { logged: boolean }): MfaCollection<T> {
  // The driver's generics are stricter than our string-_id documents need; the casts stay here.
  const c = db.collection(name) as unknown as Collection<Document>
  return {
    name,
    async insertOne (doc) { await c.insertOne(doc as Document) },
    async insertMany (docs) {
      if (docs.length === 0) return
      try {
        await c.insertMany(docs as Document[], { ordered: true })
      } catch (err) {
        // Ordered: the first write error's index is how many went in before it (servers differ in
        // what they report as inserted, the index they all give).
        const errors = (err as { writeErrors?: { index: number } | Array<{ index: number }> }).writeErrors
        const first = Array.isArray(errors) ? errors[0] : errors
        if (first && typeof first.index === 'number') Object.defineProperty(err, 'insertedCount', { value: first.index })
        throw err
      }
    },
    async findOne (filter, options) { return await c.findOne(filter as Document, options ?? {}) as T | null },
    async find (filter, options) {
      let cursor = c.find(filter as Document)
      if (options?.sort) cursor = cursor.sort(options.sort)
      if (options?.limit) cursor = cursor.limit(options.limit)
      return await cursor.toArray() as unknown as T[]
    },
    async countDocuments (filter) { return await c.countDocuments(filter as Document) },
    async updateOne (filter, update, options) {
      return toResult(await c.updateOne(filter as Document, update as Document, { upsert: options?.upsert ?? false }))
    },
    async deleteOne (filter) { return (await c.deleteOne(filter as Document)).deletedCount },
    async deleteMany (filter) { return (await c.deleteMany(filter as Document)).deletedCount },
    createIndexes: async (specs, log) => await createIndexes(c, specs, log, ttlRefused)
  }
}

/** Wraps a `Db` from the official driver. */
export function createMongoStore (db: Db): MfaStore {
  const ttlRefused = { logged: false }
  return { kind: 'mongodb', collection: (name) => mongoCollection(db, name, ttlRefused) }
}
