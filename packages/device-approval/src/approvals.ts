import type { FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import { errors } from './errors.js'
import { METHOD } from './factor.js'
import type { ApprovalLimits } from './limits.js'
import type { ApprovalStore } from './store.js'
import { viewOf, visibleTo, type StreamHub } from './streams.js'
import type { ApprovalView, RequestDocument, ResolvedDeviceApprovalOptions } from './types.js'
import type { Waiters } from './waiters.js'

export type DecisionAnswer =
  | { status: 'approved' }
  | { status: 'denied', reason: 'denied' | 'wrong_number', locked: boolean }

interface Deps { store: ApprovalStore, limits: ApprovalLimits, waiters: Waiters, hub: StreamHub, opts: ResolvedDeviceApprovalOptions }

/** The approving side: what a signed-in session sees of its user's requests, and its decisions. */
export function createApprovals (mfa: MfaApi, { store, limits, waiters, hub, opts }: Deps) {
  const sidOf = (request: FastifyRequest): string | undefined => request.session.get('mfa')?.sid

  /**
   * The approving session, checked in the registry (not only in the cookie's state): still recorded
   * (not ended on another instance), at AAL 2 or more, not enrol-only.
   */
  async function approver (request: FastifyRequest): Promise<{ userId: string, sid: string }> {
    const userId = request.mfa.userId!
    const sid = sidOf(request)
    const [record] = sid ? await mfa.sessions.assured({ minAal: 2, userId, ids: [sid] }) : []
    if (!record) throw new errors.FST_MFA_UNAUTHENTICATED()
    return { userId, sid: record.id }
  }

  /** An open, undecided request the approver may decide; 404 for anything else (no oracle of other users' ids). */
  async function decidable (requestId: string, userId: string, sid: string): Promise<RequestDocument> {
    const doc = await store.findRequest(requestId, userId)
    // A step-up's own session cannot approve it: to that session the request does not exist.
    if (!doc || !visibleTo(doc, userId, sid) || await store.findDecision(requestId, userId)) throw new errors.FST_MFA_NOT_FOUND()
    return doc
  }

  async function denied (request: FastifyRequest, doc: RequestDocument, sid: string, reason: 'denied' | 'wrong_number'): Promise<DecisionAnswer> {
    if (!await store.decide(doc, 'denied', reason, sid)) throw new errors.FST_MFA_NOT_FOUND() // decided meanwhile
    await store.discard(doc)
    waiters.wake(doc.requestId)
    hub.resolved(doc.userId, doc.requestId)
    const { locked } = await limits.recordDenial(doc.userId)
    // Paused: the account's other open requests end too.
    if (locked) await store.discardForUser(doc.userId)
    const common = { userId: doc.userId, method: METHOD, request }
    await mfa.emit('device-approval.denied', { ...common, details: { purpose: doc.purpose, requestId: doc.requestId, reason } })
    if (reason === 'wrong_number') {
      // The approver did not see the signing-in screen: someone else may be signing in with the password.
      await mfa.emit('device-approval.suspicious', { ...common, details: { purpose: doc.purpose, requestId: doc.requestId, reason } })
    }
    if (locked) await mfa.emit('device-approval.locked', { ...common, details: { seconds: opts.lockSeconds, denials: opts.maxDenials } })
    return { status: 'denied', reason, locked }
  }

  return {
    async list (request: FastifyRequest): Promise<ApprovalView[]> {
      const userId = request.mfa.userId!
      const sid = sidOf(request)
      return (await store.undecided({ userId })).filter((d) => visibleTo(d, userId, sid)).map(viewOf)
    },
    approver,

    /** Approves when `number` is the one the signing-in screen shows; a wrong one denies and ends the request. */
    async approve (request: FastifyRequest, requestId: string, number: number): Promise<DecisionAnswer> {
      const { userId, sid } = await approver(request)
      const doc = await decidable(requestId, userId, sid)
      if (number !== doc.number) return await denied(request, doc, sid, 'wrong_number')
      if (!await store.decide(doc, 'approved', 'approved', sid)) throw new errors.FST_MFA_NOT_FOUND()
      waiters.wake(doc.requestId)
      hub.resolved(userId, doc.requestId)
      await limits.resetDenials(userId)
      await mfa.emit('device-approval.approved', { userId, method: METHOD, request, details: { purpose: doc.purpose, requestId: doc.requestId } })
      return { status: 'approved' }
    },

    async deny (request: FastifyRequest, requestId: string): Promise<DecisionAnswer> {
      const { userId, sid } = await approver(request)
      return await denied(request, await decidable(requestId, userId, sid), sid, 'denied')
    }
  }
}

export type Approvals = ReturnType<typeof createApprovals>
