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
 * operators, so single-use and compare-and-set rules are written once, as MongoDB queries.
 */
export interface MfaCollection<T extends StoredDocument> {
  readonly name: string
  /** Throws an error with `code === 11000` when a unique index is violated. */
  insertOne(doc: T): Promise<void>
  insertMany(docs: T[]): Promise<void>
  findOne(filter: StoreFilter<T>, options?: { sort?: SortSpec }): Promise<T | null>
  find(filter: StoreFilter<T>, options?: { sort?: SortSpec, limit?: number }): Promise<T[]>
  countDocuments(filter: StoreFilter<T>): Promise<number>
  updateOne(filter: StoreFilter<T>, update: StoreUpdate<T>, options?: { upsert?: boolean }): Promise<UpdateResult>
  updateMany(filter: StoreFilter<T>, update: StoreUpdate<T>): Promise<UpdateResult>
  /** The atomic read-modify-write: at most one concurrent caller sees a given document state. */
  findOneAndUpdate(filter: StoreFilter<T>, update: StoreUpdate<T>,
    options?: { returnDocument?: 'before' | 'after', upsert?: boolean, sort?: SortSpec }): Promise<T | null>
  /** The atomic consume: exactly one concurrent caller receives the document. */
  findOneAndDelete(filter: StoreFilter<T>, options?: { sort?: SortSpec }): Promise<T | null>
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
  readonly kind: 'mongodb' | 'memory'
  collection<T extends StoredDocument>(name: string): MfaCollection<T>
}

export function isDuplicateKeyError (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000
}
