import type { FastifyInstance } from 'fastify'
import { optionChecks } from '@fastify-mfa/core/plugin-kit'

export interface BackupCodesOptions {
  /** Codes per set. @default 10 */
  count?: number
  /** bcrypt cost factor of the stored hashes. @default 10 */
  cost?: number
  /** Emit `backup_codes.low` when this many codes or fewer remain after a use. @default 2 */
  lowThreshold?: number
  /** Prefix of the routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
  /**
   * Collection names, before the core `collectionPrefix`.
   * @default { codes: 'backup_codes', sets: 'backup_code_sets', retired: 'backup_code_sets_retired' }
   */
  collections?: { codes?: string, sets?: string, retired?: string }
}

export interface ResolvedBackupCodesOptions {
  count: number
  cost: number
  lowThreshold: number
  prefix: string
  collections: BackupCodeCollections
}

export interface BackupCodeCollections {
  codes: string
  sets: string
  /** One claim per replaced set, so of racing regenerations exactly one replaces it. */
  retired: string
}

const { fail, wholeNumber } = optionChecks('@fastify-mfa/backup-codes')

const COLLECTION_NAME = /^[A-Za-z0-9_]{1,64}$/

export function resolveOptions (options: BackupCodesOptions, fastify: FastifyInstance): ResolvedBackupCodesOptions {
  const { count = 10, cost = 10, lowThreshold = 2, prefix = fastify.mfa.options.prefix, collections = {} } = options
  // Hints are 2 symbols (1024 values) and must differ within a set; 50 keeps redraws rare.
  if (!wholeNumber(count, 1, 50)) fail('option "count" must be a whole number from 1 to 50')
  // bcrypt accepts 4 to 31; below 10 is for tests only.
  if (!wholeNumber(cost, 4, 31)) fail('option "cost" must be a whole number from 4 to 31')
  if (!wholeNumber(lowThreshold, 0, count)) fail('option "lowThreshold" must be a whole number from 0 to "count"')
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) fail('option "prefix" must be a path starting with "/"')
  if (typeof collections !== 'object' || collections === null) fail('option "collections" must be an object')
  const names: BackupCodeCollections = {
    codes: collections.codes ?? 'backup_codes',
    sets: collections.sets ?? 'backup_code_sets',
    retired: collections.retired ?? 'backup_code_sets_retired'
  }
  const values = Object.values(names)
  if (!values.every((name) => typeof name === 'string' && COLLECTION_NAME.test(name)) || new Set(values).size !== values.length) {
    fail('option "collections" needs three different names of letters, digits and underscores')
  }
  return { count, cost, lowThreshold, prefix, collections: names }
}
