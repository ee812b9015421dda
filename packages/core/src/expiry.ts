import type { FastifyBaseLogger } from 'fastify'
import type { IndexSpec, MfaCollection, StoredDocument } from './store/types.js'

const SWEEP_EVERY = 60_000 // ms of core's clock

interface Expiring {
  collection: MfaCollection<StoredDocument>
  field: string
  seconds: number
  due: number // ms of core's clock
}

/**
 * Removes expired documents where the store does not: the memory store, and servers that refuse
 * TTL indexes. Every query checks expiry itself, so this only collects garbage. A sweep starts
 * after audit events are written (the actions that leave expiring documents behind all write
 * events; never on a request's path, never on a guarded route), one at a time. Each collection is
 * swept at most once a minute of the clock core runs on, and one whose documents live long (audit
 * events: months) once per 1% of that time, so its expired documents outlive their TTL by at most
 * 1%. Each instance of an app may sweep; deleting twice is harmless.
 */
export function createExpirySweeper (now: () => number, log: FastifyBaseLogger) {
  const expiring: Expiring[] = []
  let running: Promise<void> | null = null
  const interval = (entry: Expiring): number => Math.max(SWEEP_EVERY, entry.seconds * 10) // 1% of the lifetime, in ms

  async function sweep (at: number): Promise<void> {
    for (const entry of expiring.filter((e) => e.due <= at)) {
      entry.due = at + interval(entry)
      await entry.collection.deleteMany({ [entry.field]: { $lte: new Date(at - entry.seconds * 1000) } })
    }
  }

  return {
    /** TTL indexes (single-field, as MongoDB requires) whose expiry the store does not apply. */
    add (collection: MfaCollection<StoredDocument>, specs: IndexSpec[]): void {
      for (const spec of specs) {
        const [field] = Object.keys(spec.key)
        if (spec.expireAfterSeconds !== undefined && field !== undefined) {
          expiring.push({ collection, field, seconds: spec.expireAfterSeconds, due: now() + SWEEP_EVERY })
        }
      }
    },
    maybeSweep (): void {
      const at = now()
      if (running !== null || !expiring.some((e) => e.due <= at)) return
      running = sweep(at)
        .catch((err: unknown) => { log.warn({ err }, 'fastify-mfa: removing expired documents failed; the next sweep tries again') })
        .finally(() => { running = null })
    },
    /** Waits for a sweep in progress (on close, before the store goes away). */
    settled: async (): Promise<void> => { await running }
  }
}
