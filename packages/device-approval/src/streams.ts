import type { FastifyBaseLogger } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import type { ApprovalStore } from './store.js'
import type { ApprovalView, RequestDocument, ResolvedDeviceApprovalOptions } from './types.js'

/** One open `GET /mfa/approvals/stream`: an approving session and the requests it was told of. */
export interface ApprovalStream {
  userId: string
  /** The approving session's registry id: its own step-up requests are not shown to it. */
  sid: string
  write(chunk: string): void
  end(): void
}

export const viewOf = (doc: RequestDocument): ApprovalView => ({
  id: doc.requestId,
  purpose: doc.purpose,
  createdAt: doc.createdAt.toISOString(),
  expiresAt: doc.expiresAt.toISOString(),
  label: doc.label,
  ip: doc.ip
})

/** What a session is shown: its user's open requests, but not the step-up it asked for itself. */
export const visibleTo = (doc: RequestDocument, userId: string, sid: string | undefined): boolean =>
  doc.userId === userId && doc.requesterSid !== (sid ?? null)

const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`

/**
 * The instance's Server-Sent Events streams. A request started on this instance is announced at
 * once; those of other instances, decisions and ended approving sessions are found by one poller
 * for all streams (a few queries per tick, whatever the number of streams), which runs only while a
 * stream is open. A comment line every `heartbeatSeconds` keeps proxies from closing idle streams.
 */
export function createStreamHub (mfa: MfaApi, store: ApprovalStore, opts: ResolvedDeviceApprovalOptions, log: FastifyBaseLogger) {
  const streams = new Map<ApprovalStream, Set<string>>() // stream → request ids it was told of
  let poller: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let ticking: Promise<void> | null = null

  function show (stream: ApprovalStream, known: Set<string>, docs: RequestDocument[]): void {
    const visible = docs.filter((d) => visibleTo(d, stream.userId, stream.sid))
    for (const doc of visible) {
      if (known.has(doc.requestId)) continue
      known.add(doc.requestId)
      stream.write(event('approval', viewOf(doc)))
    }
    const open = new Set(visible.map((d) => d.requestId))
    for (const id of known) {
      if (open.has(id)) continue
      known.delete(id)
      stream.write(event('resolved', { id }))
    }
  }

  async function tick (): Promise<void> {
    const open = [...streams.keys()]
    if (open.length === 0) return
    // An approving session ended elsewhere (signed out, a security change) stops hearing of requests.
    const assured = new Set((await mfa.sessions.assured({ minAal: 2, ids: [...new Set(open.map((s) => s.sid))] })).map((s) => s.id))
    for (const stream of open) if (!assured.has(stream.sid)) close(stream)
    const users = [...new Set([...streams.keys()].map((s) => s.userId))]
    if (users.length === 0) return
    const docs = await store.undecided({ userId: { $in: users } })
    for (const [stream, known] of streams) show(stream, known, docs)
  }

  const poll = (): void => {
    if (ticking) return
    ticking = tick()
      .catch((err: unknown) => { log.warn({ err }, 'fastify-mfa: the approval stream poller failed; it tries again') })
      .finally(() => { ticking = null })
  }

  function close (stream: ApprovalStream): void {
    if (!streams.delete(stream)) return
    stream.end()
    if (streams.size === 0) stop()
  }

  function stop (): void {
    if (poller) clearInterval(poller)
    if (heartbeat) clearInterval(heartbeat)
    poller = heartbeat = null
  }

  return {
    /** Opens a stream: it is told of the requests open now, then of each new one and each that ends. */
    async open (stream: ApprovalStream): Promise<void> {
      const known = new Set<string>()
      streams.set(stream, known)
      stream.write('retry: 3000\n\n')
      show(stream, known, await store.undecided({ userId: stream.userId }))
      if (!poller) {
        poller = setInterval(poll, opts.pollInterval).unref()
        heartbeat = setInterval(() => { for (const s of streams.keys()) s.write(': heartbeat\n\n') }, opts.heartbeatSeconds * 1000).unref()
      }
    },
    close,
    /** A request started on this instance: announced to its user's streams at once. */
    announce (doc: RequestDocument): void {
      for (const [stream, known] of streams) {
        if (!visibleTo(doc, stream.userId, stream.sid) || known.has(doc.requestId)) continue
        known.add(doc.requestId)
        stream.write(event('approval', viewOf(doc)))
      }
    },
    /** A request decided or replaced on this instance: its prompt can go. */
    resolved (userId: string, requestId: string): void {
      for (const [stream, known] of streams) {
        if (stream.userId === userId && known.delete(requestId)) stream.write(event('resolved', { id: requestId }))
      }
    },
    /** The app closes: every stream ends (an open response would hold the server open). */
    async closeAll (): Promise<void> {
      for (const stream of [...streams.keys()]) close(stream)
      await ticking
    },
    get size (): number { return streams.size }
  }
}

export type StreamHub = ReturnType<typeof createStreamHub>
