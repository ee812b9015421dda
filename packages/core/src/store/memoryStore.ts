import { randomBytes } from 'node:crypto'
import { find, update as applyUpdate } from 'mingo'
import type { IndexSpec, MfaCollection, MfaStore, SortSpec, StoredDocument, UpdateResult } from './types.js'

type Doc = Record<string, unknown> & StoredDocument

class DuplicateKeyError extends Error {
  readonly code = 11000
  /** Of an `insertMany`: how many documents went in before this one. */
  insertedCount = 0
  constructor (collection: string, index: string) {
    super(`E11000 duplicate key error collection: ${collection} index: ${index}`)
  }
}

function getPath (doc: Doc, path: string): unknown {
  let value: unknown = doc
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function isOperatorObject (value: unknown): boolean {
  return value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value) &&
    Object.keys(value).some((k) => k.startsWith('$'))
}

/**
 * One collection held in process memory. Every method runs synchronously between awaits, so each
 * call is atomic exactly like the single MongoDB operation it mirrors. Documents are cloned on the
 * way in and out, so callers never share references with the store.
 */
class MemoryCollection<T extends StoredDocument> implements MfaCollection<T> {
  readonly #docs = new Map<string, Doc>()
  readonly #unique = new Map<IndexSpec, Map<string, string>>()
  constructor (readonly name: string) {}

  #matching (filter: object, sort?: SortSpec, limit?: number): Doc[] {
    // A lookup by _id reads one document, as MongoDB's _id index would.
    const id = (filter as { _id?: unknown })._id
    const candidates = typeof id === 'string' ? [this.#docs.get(id)].filter((d) => d !== undefined) : [...this.#docs.values()]
    // `{ _id }` alone needs no query engine (mingo builds a query context on every call).
    if (typeof id === 'string' && Object.keys(filter).length === 1) return candidates
    let cursor = find(candidates, filter as Record<string, unknown>)
    if (sort) cursor = cursor.sort(sort)
    if (limit) cursor = cursor.limit(limit)
    return cursor.all() as Doc[]
  }

  #uniqueKey (index: IndexSpec, doc: Doc): string | null {
    const values = Object.keys(index.key).map((f) => getPath(doc, f))
    return index.sparse && values.every((v) => v === undefined) ? null : JSON.stringify(values)
  }

  /** Unique indexes as maps from key to _id, so a write checks them without a scan. */
  #write (doc: Doc, replacing: boolean): void {
    if (!replacing && this.#docs.has(doc._id)) throw new DuplicateKeyError(this.name, '_id_')
    for (const [index, owners] of this.#unique) {
      const key = this.#uniqueKey(index, doc)
      const owner = key === null ? undefined : owners.get(key)
      if (owner !== undefined && owner !== doc._id) throw new DuplicateKeyError(this.name, index.name)
    }
    this.#forget(doc._id)
    for (const [index, owners] of this.#unique) {
      const key = this.#uniqueKey(index, doc)
      if (key !== null) owners.set(key, doc._id)
    }
    this.#docs.set(doc._id, structuredClone(doc))
  }

  #forget (id: string): boolean {
    const old = this.#docs.get(id)
    if (!old) return false
    for (const [index, owners] of this.#unique) {
      const key = this.#uniqueKey(index, old)
      if (key !== null && owners.get(key) === id) owners.delete(key)
    }
    return this.#docs.delete(id)
  }

  #updated (doc: Doc, update: object): { next: Doc, modified: boolean } {
    const next = structuredClone(doc)
    const { $setOnInsert: _ignored, ...modifier } = update as Record<string, unknown>
    const changed = applyUpdate(next, modifier as never)
    return { next, modified: changed.length > 0 }
  }

  #upserted (filter: object, update: object): Doc {
    const base: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(filter)) {
      if (!key.startsWith('$') && !isOperatorObject(value)) base[key] = value
    }
    const { $setOnInsert, ...modifier } = update as Record<string, Record<string, unknown> | undefined>
    applyUpdate(base, modifier as never)
    Object.assign(base, $setOnInsert ?? {})
    if (typeof base._id !== 'string') base._id = randomBytes(12).toString('hex')
    return base as Doc
  }

  async insertOne (doc: T): Promise<void> { this.#write(doc as unknown as Doc, false) }

  async insertMany (docs: T[]): Promise<void> {
    docs.forEach((doc, i) => {
      try {
        this.#write(doc as unknown as Doc, false)
      } catch (err) {
        if (err instanceof DuplicateKeyError) err.insertedCount = i
        throw err
      }
    })
  }

  async findOne (filter: object, options?: { sort?: SortSpec }): Promise<T | null> {
    const [doc] = this.#matching(filter, options?.sort, 1)
    return doc ? structuredClone(doc) as unknown as T : null
  }

  async find (filter: object, options?: { sort?: SortSpec, limit?: number }): Promise<T[]> {
    return this.#matching(filter, options?.sort, options?.limit).map((d) => structuredClone(d) as unknown as T)
  }

  async countDocuments (filter: object): Promise<number> { return this.#matching(filter).length }

  async updateOne (filter: object, update: object, options?: { upsert?: boolean }): Promise<UpdateResult> {
    const [doc] = this.#matching(filter, undefined, 1)
    if (!doc) {
      if (!options?.upsert) return { matchedCount: 0, modifiedCount: 0, upsertedCount: 0 }
      this.#write(this.#upserted(filter, update), false)
      return { matchedCount: 0, modifiedCount: 0, upsertedCount: 1 }
    }
    const { next, modified } = this.#updated(doc, update)
    if (modified) this.#write(next, true)
    return { matchedCount: 1, modifiedCount: modified ? 1 : 0, upsertedCount: 0 }
  }

  async deleteOne (filter: object): Promise<number> {
    const [doc] = this.#matching(filter, undefined, 1)
    return doc && this.#forget(doc._id) ? 1 : 0
  }

  async deleteMany (filter: object): Promise<number> {
    const docs = this.#matching(filter)
    for (const doc of docs) this.#forget(doc._id)
    return docs.length
  }

  async createIndexes (specs: IndexSpec[]): Promise<boolean> {
    for (const spec of specs) {
      if (!spec.unique || [...this.#unique.keys()].some((u) => u.name === spec.name)) continue
      const owners = new Map<string, string>()
      for (const doc of this.#docs.values()) {
        const key = this.#uniqueKey(spec, doc)
        if (key !== null && owners.has(key)) throw new DuplicateKeyError(this.name, spec.name)
        if (key !== null) owners.set(key, doc._id)
      }
      this.#unique.set(spec, owners)
    }
    return false // TTL indexes are not applied here; core sweeps expired documents
  }
}

/**
 * The development store: nothing persists and nothing is shared between processes. Pass the same
 * instance to several apps in one process to make them behave as instances on one database.
 */
export function createMemoryStore (): MfaStore {
  const collections = new Map<string, MemoryCollection<StoredDocument>>()
  return {
    kind: 'memory',
    collection<T extends StoredDocument> (name: string): MfaCollection<T> {
      let c = collections.get(name)
      if (!c) collections.set(name, c = new MemoryCollection(name))
      return c as unknown as MfaCollection<T>
    }
  }
}
