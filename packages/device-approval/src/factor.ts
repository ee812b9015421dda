import type { MfaApi } from '@fastify-mfa/core'
import { deviceLabel, errorDetails, randomToken, type CodeContext, type FactorResult, type MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { approvalNumber } from './approvalNumber.js'
import { errors } from './errors.js'
import type { ApprovalLimits } from './limits.js'
import { requestKey, type ApprovalStore } from './store.js'
import type { StreamHub } from './streams.js'
import type { ApprovalPurpose, RequestDocument, ResolvedDeviceApprovalOptions } from './types.js'
import type { Waiters } from './waiters.js'

export const METHOD = 'device-approval'
const PURPOSES = new Set<string>(['login', 'step-up'])

export interface FactorDeps {
  store: ApprovalStore
  limits: ApprovalLimits
  waiters: Waiters
  hub: StreamHub
  opts: ResolvedDeviceApprovalOptions
}

/**
 * The `device-approval` factor (`amr: mca`, AAL 2, RFC 8176 "multiple-channel authentication"): a
 * prompt approved on another signed-in session of the user. A companion factor: offered only next
 * to a primary factor, never counted as one, since it rests on sessions those factors opened.
 */
export function createApprovalFactor (mfa: MfaApi, { store, limits, waiters, hub, opts }: FactorDeps): MfaFactor {
  const seenSince = () => new Date(mfa.now() - opts.approverWithin * 1000)
  /** Sessions that may approve for the user (not `except`, a step-up's own session). */
  const approvers = async (userId: string, except?: string | null) =>
    (await mfa.sessions.assured({ minAal: 2, userId, seenSince: seenSince() })).filter((s) => s.id !== except)
  const keyOf = (userId: string, ctx: CodeContext): string => {
    if (!PURPOSES.has(ctx.purpose)) throw new TypeError('@fastify-mfa/device-approval: purpose must be "login" or "step-up"')
    return requestKey(userId, ctx.purpose, ctx.binding)
  }

  return {
    id: METHOD,
    amr: 'mca',
    kind: 'prompt',
    companion: true,
    isEnrolled: async (userId) => (await approvers(userId)).length > 0,
    enrolledUserIds: async () => [...new Set((await mfa.sessions.assured({ minAal: 2, seenSince: seenSince() })).map((s) => s.userId))],

    async start (userId, ctx) {
      const key = keyOf(userId, ctx)
      const purpose = ctx.purpose as ApprovalPurpose
      const request = ctx.request
      const refused = async (err: Error, reason: 'requests' | 'locked'): Promise<never> => {
        const retryAfter = errorDetails(err).retryAfter
        await mfa.emit('device-approval.throttled', { userId, method: METHOD, request, details: { reason, retryAfter: typeof retryAfter === 'number' ? retryAfter : 0 } })
        throw err
      }
      await limits.assertNotLocked(userId).catch(async (err: Error) => await refused(err, 'locked'))
      // A step-up is approved from another session, never from the one asking.
      const requesterSid = purpose === 'step-up' ? request.session?.get('mfa')?.sid ?? null : null
      const others = await approvers(userId, requesterSid)
      if (others.length === 0) throw new errors.FST_MFA_NOT_ENROLLED()
      await limits.takeStart(userId).catch(async (err: Error) => await refused(err, 'requests'))
      const now = mfa.now()
      const doc: RequestDocument = {
        _id: key,
        requestId: randomToken(16),
        userId,
        purpose,
        number: approvalNumber(),
        requesterSid,
        label: deviceLabel(request.headers['user-agent']),
        ip: request.ip,
        createdAt: new Date(now),
        expiresAt: new Date(now + opts.requestTtl * 1000)
      }
      const replaced = await store.replaceRequest(doc)
      if (replaced) hub.resolved(userId, replaced)
      hub.announce(doc)
      await mfa.emit('device-approval.requested', { userId, method: METHOD, request, details: { purpose, requestId: doc.requestId, expiresAt: doc.expiresAt, approvers: others.length } })
      return { requestId: doc.requestId, number: doc.number, expiresAt: doc.expiresAt }
    },

    async waitForDecision (userId, requestId, ctx, options = {}) {
      const key = keyOf(userId, ctx)
      // Undecided while the request is open and no decision exists; anything else is for `decision` to tell.
      const settled = async (): Promise<boolean> =>
        await store.findDecision(requestId, userId) !== null || await store.findOpen(key, requestId) === null
      return await waiters.wait(requestId, options.waitMs ?? opts.waitSeconds * 1000, settled, options.signal)
    },

    async decision (userId, requestId, ctx): Promise<'pending' | FactorResult> {
      const key = keyOf(userId, ctx)
      const decided = await store.findDecision(requestId, userId)
      if (!decided) return await store.findOpen(key, requestId) ? 'pending' : { ok: false, reason: 'expired' }
      // A decision on another login's or step-up's request opens nothing here.
      if (decided.key !== key) return { ok: false, reason: 'expired' }
      if (decided.outcome === 'denied') return { ok: false, reason: 'denied', details: { reason: decided.reason } }
      // Single use: the request goes with the first verify that spends it; its decision stays, so it cannot be approved again.
      if (!await store.spend(key, requestId)) return { ok: false, reason: 'expired' }
      return { ok: true, userId, amr: ['mca'], aal: 2 }
    },

    // Admin reset and account deletion: the caller bumps the security stamp and audits it.
    async remove (userId) { await store.forget(userId) }
  }
}
