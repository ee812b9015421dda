import type { Filter, UpdateFilter } from 'mongodb'

/** Every stored document has a string `_id`, so both stores treat ids the same way. */
export interface StoredDocument {
  _id: string
}

export type StoreFilter<T> = Filter<T>
export type StoreUpdate<T> = UpdateFilter<T>
export type SortSpec = Record<string, 1 | -1>

/** An index declared as data next to the store that owns the collection. */
export interface IndexSpec {
  name: string
  key: Record<string, 1 | -1>
  unique?: boolean
  sparse?: boolean
  /** Garbage collection only: expiry is always checked in the query as well. @unit seconds */
  expireAfterSeconds?: number
}

export interface UpdateResult {
  matchedCount: number
  modifiedCount: number
  upsertedCount: number
}

/**
 * The small collection-like interface every plugin store talks to. The MongoDB implementation maps
 * each method to one driver call; the memory implementation evaluates the same filters and update
 * operators. It is what plugins call and nothing more: single-use and counter rules rest only on
 * inserts by `_id` (a duplicate fails) and counted deletes, atomic on every MongoDB-compatible
 * server, never on conditional updates. A third backend proves itself with `testStore()` from
 * `@fastify-mfa/core/store-contract`.
 */
export interface MfaCollection<T extends StoredDocument> {
  readonly name: string
  /** Throws an error with `code === 11000` when a unique index is violated. */
  insertOne(doc: T): Promise<void>
  /**
   * Inserts in order and stops at the first document that fails. A duplicate throws an error with
   * `code === 11000` and `insertedCount`: how many of `docs` went in before it.
   */
  insertMany(docs: T[]): Promise<void>
  findOne(filter: StoreFilter<T>, options?: { sort?: SortSpec }): Promise<T | null>
  find(filter: StoreFilter<T>, options?: { sort?: SortSpec, limit?: number }): Promise<T[]>
  countDocuments(filter: StoreFilter<T>): Promise<number>
  updateOne(filter: StoreFilter<T>, update: StoreUpdate<T>, options?: { upsert?: boolean }): Promise<UpdateResult>
  /** Resolves how many documents it removed; of concurrent deletes of one document exactly one gets 1. */
  deleteOne(filter: StoreFilter<T>): Promise<number>
  deleteMany(filter: StoreFilter<T>): Promise<number>
  /**
   * Idempotent. A server that refuses TTL indexes gets the index without expiry and a warning.
   * Resolves true when the store removes expired documents by the TTL indexes in `specs` itself
   * (false for the memory store and such servers; core then sweeps them, see expiry.ts).
   */
  createIndexes(specs: IndexSpec[], log?: { warn(obj: object, msg: string): void }): Promise<boolean>
}

export interface MfaStore {
  /** `'mongodb'`, `'memory'` (core warns that nothing persists) or a third backend's own name. */
  readonly kind: string
  collection<T extends StoredDocument>(name: string): MfaCollection<T>
}

/** Of an ordered `insertMany` that threw: how many documents went in before the one that failed. */
export function insertedBefore (err: unknown): number {
  const n = (err as { insertedCount?: unknown }).insertedCount
  return typeof n === 'number' ? n : 0
}

export function isDuplicateKeyError (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000
}
