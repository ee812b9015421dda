import { insertedBefore, isDuplicateKeyError, type MfaCollection, type StoreFilter, type StoredDocument } from './types.js'

/**
 * The atomic building blocks every single-use and counter rule is made of. Each one rests on an
 * operation that is atomic on every MongoDB-compatible server: inserting a document whose `_id`
 * already exists fails, and a delete reports how many documents it removed. (Conditional
 * `updateOne`/`findOneAndUpdate` is atomic per document on MongoDB itself, but some compatible
 * servers, e.g. FerretDB's SQLite backend, apply it as read-then-write; claims built on `_id`
 * hold everywhere.)
 */

/** Inserts `doc`; false when a document with its `_id` exists (someone else claimed it first). */
export async function claim<T extends StoredDocument> (collection: MfaCollection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc)
    return true
  } catch (err) {
    if (isDuplicateKeyError(err)) return false
    throw err
  }
}

/**
 * Claims each of `docs` in order, as `claim` does one: true for each this call inserted, false for
 * each someone else holds. One command when none is held; after a held one the rest go on in
 * order, so a document is inserted only once every one before it is held (by this call or another).
 */
export async function claimEach<T extends StoredDocument> (collection: MfaCollection<T>, docs: T[]): Promise<boolean[]> {
  const won: boolean[] = []
  let rest = docs
  while (rest.length > 0) {
    try {
      await collection.insertMany(rest)
      won.push(...rest.map(() => true))
      rest = []
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      const n = insertedBefore(err)
      won.push(...rest.slice(0, n).map(() => true), false)
      rest = rest.slice(n + 1)
    }
  }
  return won
}

/** Removes and returns one matching document; of concurrent callers exactly one receives it. */
export async function consume<T extends StoredDocument> (collection: MfaCollection<T>, filter: StoreFilter<T>): Promise<T | null> {
  const doc = await collection.findOne(filter)
  if (!doc) return null
  const deleted = await collection.deleteOne({ ...filter, _id: doc._id } as StoreFilter<T>)
  return deleted === 1 ? doc : null
}

/** A versioned value: each write inserts version n+1, so of writers that read version n one wins. */
export interface VersionedValue<V> {
  version: number
  value: V | null
}

/** One version of a compare-and-set register. */
export interface VersionDocument extends StoredDocument {
  key: string
  version: number
  value: unknown
  expiresAt?: Date
}

export interface CasRegister<V> {
  read(key: string): Promise<VersionedValue<V>>
  /** Writes `value` only when the stored version is still `expected.version`. */
  compareAndSet(key: string, expected: VersionedValue<V>, value: V, expiresAt?: Date): Promise<boolean>
  /** Reads and writes until it wins; `update` returns null to stop without writing. */
  update(key: string, update: (current: V | null) => V | null, expiresAt?: Date): Promise<V | null>
  remove(key: string): Promise<void>
}

export const casIndexes = [{ name: 'key_version', key: { key: 1 as const, version: -1 as const } }]

/** A compare-and-set register over a collection (documents `<key>#<version>`, one per write). */
export function casRegister<V> (collection: MfaCollection<VersionDocument>, now: () => number): CasRegister<V> {
  const read = async (key: string): Promise<VersionedValue<V>> => {
    const doc = await collection.findOne({ key }, { sort: { version: -1 } })
    if (!doc || (doc.expiresAt && doc.expiresAt.getTime() <= now())) return { version: doc?.version ?? 0, value: null }
    return { version: doc.version, value: doc.value as V }
  }
  const compareAndSet = async (key: string, expected: VersionedValue<V>, value: V, expiresAt?: Date): Promise<boolean> => {
    const version = expected.version + 1
    // History is kept (never pruned by writers): a pruned version could be re-inserted by a writer
    // holding a stale read. Callers use registers whose history is short and `remove()` them.
    return await claim(collection, { _id: `${key}#${version}`, key, version, value, ...(expiresAt ? { expiresAt } : {}) })
  }
  return {
    read,
    compareAndSet,
    async update (key, update, expiresAt) {
      for (;;) {
        const current = await read(key)
        const next = update(current.value)
        if (next === null) return null
        if (await compareAndSet(key, current, next, expiresAt)) return next
      }
    },
    async remove (key) { await collection.deleteMany({ key }) }
  }
}
