import type { MfaApi } from '@fastify-mfa/core'
import { claim, sha256, type IndexSpec } from '@fastify-mfa/core/plugin-kit'
import type { ApprovalPurpose, DecisionDocument, LimitDocument, RequestDocument } from './types.js'

/** Collection names (after fastify-mfa's `collectionPrefix`, `mfa_` by default). */
export const approvalCollections = {
  requests: 'approval_requests',
  decisions: 'approval_decisions',
  limits: 'approval_limits'
} as const

const ttl: IndexSpec = { name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }
const byUser: IndexSpec = { name: 'user', key: { userId: 1 } }

// Expiry is checked in every query; the TTL indexes (or core's sweep) only collect garbage.
export const approvalIndexes: Record<keyof typeof approvalCollections, IndexSpec[]> = {
  requests: [{ name: 'request_id', key: { requestId: 1 }, unique: true }, { name: 'user_expires', key: { userId: 1, expiresAt: 1 } }, ttl],
  decisions: [byUser, ttl],
  limits: [byUser, ttl]
}

const part = encodeURIComponent

/**
 * The one open request of a login or step-up. The binding is hashed: a step-up's binding is derived
 * from the session id.
 */
export const requestKey = (userId: string, purpose: ApprovalPurpose, binding: string): string =>
  `${part(userId)}:${purpose}:${sha256(binding)}`

export function createApprovalStore (mfa: MfaApi) {
  const requests = mfa.collection<RequestDocument>(approvalCollections.requests)
  const decisions = mfa.collection<DecisionDocument>(approvalCollections.decisions)
  const limits = mfa.collection<LimitDocument>(approvalCollections.limits)
  mfa.ensureIndexes(requests, approvalIndexes.requests)
  mfa.ensureIndexes(decisions, approvalIndexes.decisions)
  mfa.ensureIndexes(limits, approvalIndexes.limits)
  const live = () => ({ $gt: new Date(mfa.now()) })

  /** Open requests (not expired, not decided) matching `filter`, newest first. */
  async function undecided (filter: { userId: string | { $in: string[] } }): Promise<RequestDocument[]> {
    const open = await requests.find({ ...filter, expiresAt: live() }, { sort: { createdAt: -1 } })
    if (open.length === 0) return []
    const decided = new Set((await decisions.find({ _id: { $in: open.map((r) => r.requestId) } })).map((d) => d._id))
    return open.filter((r) => !decided.has(r.requestId))
  }

  return {
    limits,
    /**
     * Stores `doc` as the one open request of its login or step-up, replacing the earlier one (whose
     * id then matches nothing, so its approval, if any, cannot be spent). Of racing starts the last
     * insert stays. Returns the id of the request it replaced.
     */
    async replaceRequest (doc: RequestDocument): Promise<string | null> {
      const previous = await requests.findOne({ _id: doc._id })
      for (let tries = 0; tries < 5; tries++) {
        await requests.deleteOne({ _id: doc._id })
        if (await claim(requests, doc)) return previous?.requestId ?? null
      }
      throw new Error('@fastify-mfa/device-approval: the request could not be stored (starts kept racing)')
    },
    /** The open request `requestId` of the user, or null (unknown, another user's, expired, ended). */
    findRequest: async (requestId: string, userId: string) => await requests.findOne({ requestId, userId, expiresAt: live() }),
    /** The open request of a login or step-up with that id, or null. */
    findOpen: async (key: string, requestId: string) => await requests.findOne({ _id: key, requestId, expiresAt: live() }),
    undecided,
    findDecision: async (requestId: string, userId: string) => await decisions.findOne({ _id: requestId, userId, expiresAt: live() }),
    /** The one decision on a request: of racing approvals and denials on any instance exactly one is inserted. */
    decide: async (doc: RequestDocument, outcome: DecisionDocument['outcome'], reason: DecisionDocument['reason'], approverSid: string) =>
      await claim(decisions, { _id: doc.requestId, userId: doc.userId, key: doc._id, outcome, reason, approverSid, at: new Date(mfa.now()), expiresAt: doc.expiresAt }),
    /** Spends an approved request: of concurrent callers exactly one removes it (and only while it lives). */
    spend: async (key: string, requestId: string) => await requests.deleteOne({ _id: key, requestId, expiresAt: live() }) === 1,
    /** Ends a request (denied); its decision stays. */
    discard: async (doc: RequestDocument) => { await requests.deleteOne({ _id: doc._id, requestId: doc.requestId }) },
    /** Ends the user's open requests (a lock, a security change). */
    discardForUser: async (userId: string) => { await requests.deleteMany({ userId }) },
    /** Account deletion and admin reset: every record of the user. */
    async forget (userId: string) {
      await Promise.all([requests.deleteMany({ userId }), decisions.deleteMany({ userId }), limits.deleteMany({ userId })])
    }
  }
}

export type ApprovalStore = ReturnType<typeof createApprovalStore>
