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
