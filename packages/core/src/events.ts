import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { MfaCollection, IndexSpec } from './store/types.js'
import type { MfaEventMap, MfaEventType } from './eventMap.js'

/** A stored audit event (`mfa_events`). */
export interface MfaEvent {
  _id: string
  type: string
  userId: string | null
  method: string | null
  ip: string | null
  userAgent: string | null
  at: Date
  details: Record<string, unknown>
}

export interface EmitInput<D = Record<string, unknown>> {
  userId?: string | null
  method?: string | null
  request?: FastifyRequest
  details?: D
}

/** A stored event of one type, with its details typed. */
export type TypedEvent<K extends MfaEventType> = Omit<MfaEvent, 'type' | 'details'> & { type: K, details: MfaEventMap[K] }

export type EventHook<K extends MfaEventType | '*' = '*'> = (event: K extends MfaEventType ? TypedEvent<K> : MfaEvent) => void | Promise<void>

export function eventIndexes (retentionDays: number): IndexSpec[] {
  return [
    { name: 'user_recent', key: { userId: 1, at: -1 } },
    { name: 'type_recent', key: { type: 1, at: -1 } },
    { name: 'retention_ttl', key: { at: 1 }, expireAfterSeconds: retentionDays * 86_400 }
  ]
}

// Defence in depth: callers never pass secrets, and anything named like one is dropped anyway.
let sequence = 0
/** Ids sort by creation time, then by a per-process sequence, so "newest first" is stable within a millisecond. */
function eventId (at: number): string {
  sequence = (sequence + 1) % 0x10000
  return at.toString(16).padStart(12, '0') + sequence.toString(16).padStart(4, '0') + randomBytes(6).toString('hex')
}

const SECRET_FIELD = /secret|token|password|hash|^code$|^codes$|otp|key$/i

function scrub (details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).filter(([k]) => !SECRET_FIELD.test(k)))
}

export interface EventLog {
  emit<K extends MfaEventType>(type: K, input: EmitInput<MfaEventMap[K]>): Promise<MfaEvent>
  on<K extends MfaEventType | '*'>(type: K, hook: EventHook<K>): void
  recent(userId: string, limit: number): Promise<MfaEvent[]>
}

/**
 * Events emitted before the event loop's next check phase are written together, with one
 * insertMany: a login's events cost one write, and concurrent requests share writes. One write is
 * in flight at a time: events emitted meanwhile wait for it and go in the next (group commit), so
 * under load a write carries the events of many requests. Each caller resolves once its event is
 * stored (or rejects with its write's error).
 */
function batchedInsert (collection: MfaCollection<MfaEvent>, onStored: () => void): (event: MfaEvent) => Promise<void> {
  let open: { events: MfaEvent[], written: Promise<void> } | null = null
  let last: Promise<void> = Promise.resolve()
  return async (event) => {
    if (open === null) {
      const events: MfaEvent[] = []
      const previous = last.catch(() => {})
      const written = Promise.all([previous, new Promise((resolve) => setImmediate(resolve))]).then(async () => {
        open = null
        await collection.insertMany(events)
        onStored()
      })
      open = { events, written }
      last = written
    }
    open.events.push(event)
    await open.written
  }
}

/** `onStored` runs after each batch of events is written (core starts its expiry sweep there). */
export function createEventLog (collection: MfaCollection<MfaEvent>, log: FastifyBaseLogger, now: () => number, onStored: () => void = () => {}): EventLog {
  // Hooks are kept untyped inside; `on` and `emit` are typed for callers.
  const hooks = new Map<string, Array<(event: MfaEvent) => void | Promise<void>>>()
  const insert = batchedInsert(collection, onStored)
  return {
    async emit (type, input) {
      const request = input.request
      const at = now()
      const event: MfaEvent = {
        _id: eventId(at),
        type,
        userId: input.userId ?? null,
        method: input.method ?? null,
        ip: request?.ip ?? null,
        userAgent: request?.headers['user-agent']?.slice(0, 512) ?? null,
        at: new Date(at),
        details: scrub((input.details ?? {}) as Record<string, unknown>)
      }
      await insert(event)
      const logger = request?.log ?? log
      logger.info({ mfaEvent: { type, userId: event.userId, method: event.method, details: event.details } }, `mfa event ${type}`)
      for (const hook of [...(hooks.get(type) ?? []), ...(hooks.get('*') ?? [])]) {
        try {
          await hook(structuredClone(event))
        } catch (err) {
          logger.error({ err, type }, 'fastify-mfa: an event hook failed')
        }
      }
      return event
    },
    on (type, hook) {
      if (typeof hook !== 'function') throw new TypeError('@fastify-mfa/core: mfa.on(type, fn) needs a function')
      hooks.set(type, [...(hooks.get(type) ?? []), hook as (event: MfaEvent) => void | Promise<void>])
    },
    async recent (userId, limit) {
      return await collection.find({ userId }, { sort: { _id: -1 }, limit })
    }
  }
}
