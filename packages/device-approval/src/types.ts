/** Options of @fastify-mfa/device-approval. Every one has a default. */
export interface DeviceApprovalOptions {
  /**
   * A session may approve when it was seen within this long (and is signed in at AAL 2 or more, not
   * enrol-only, not expired). @default 2592000 // seconds = 30 days
   */
  approverWithin?: number
  /** How long a request can be approved. @default 120 // seconds */
  requestTtl?: number
  /** How long `verify` waits for a decision before answering 202 (0: answer at once). @default 25 // seconds */
  waitSeconds?: number
  /** How often a waiting `verify`, and the instance's stream poller, read decisions and requests made on other instances. @default 1000 // ms */
  pollInterval?: number
  /** A comment line on every open stream this often, so proxies keep it open. @default 15 // seconds */
  heartbeatSeconds?: number
  /** Requests per account within `requestWindow` (sliding). @default 3 */
  maxRequests?: number
  /** @default 600 // seconds = 10 minutes */
  requestWindow?: number
  /** Denials in a row (deny, or a wrong number) that pause requests for the account. @default 3 */
  maxDenials?: number
  /** How long requests stay paused after `maxDenials`. @default 900 // seconds = 15 minutes */
  lockSeconds?: number
  /** Prefix of the approving routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
}

export type ResolvedDeviceApprovalOptions = Required<Omit<DeviceApprovalOptions, 'prefix'>> & { prefix: string | null }

export type ApprovalPurpose = 'login' | 'step-up'

/** `mfa_approval_requests`: the one open request of a login or step-up; a new start replaces it. */
export interface RequestDocument {
  /** `<user>:<purpose>:<sha256(binding)>`. */
  _id: string
  /** Random public id (routes, decisions). */
  requestId: string
  userId: string
  purpose: ApprovalPurpose
  /** The two digits the signing-in screen shows. Never sent to an approving device. */
  number: number
  /** A step-up's own session (its registry id): it cannot approve itself. Null for a sign-in. */
  requesterSid: string | null
  /** The signing-in device (`deviceLabel`) and address, shown to the approver. */
  label: string
  ip: string
  createdAt: Date
  expiresAt: Date
}

/** `mfa_approval_decisions`: `_id` = requestId; of racing decisions exactly one is inserted. Kept until the request would expire. */
export interface DecisionDocument {
  _id: string
  userId: string
  /** The request's `_id` (its login or step-up). */
  key: string
  outcome: 'approved' | 'denied'
  reason: 'approved' | 'denied' | 'wrong_number'
  /** The approving session's registry id. */
  approverSid: string
  at: Date
  expiresAt: Date
}

/** `mfa_approval_limits`: `<user>:start:<n>`, `<user>:deny:<n>` and `<user>:lock`, each claimed by `_id` until it expires. */
export interface LimitDocument {
  _id: string
  userId: string
  expiresAt: Date
}

/** What `GET /mfa/approvals` and the stream show of a request: never its number. */
export interface ApprovalView {
  id: string
  purpose: ApprovalPurpose
  createdAt: string
  expiresAt: string
  label: string
  ip: string
}

declare module '@fastify-mfa/core' {
  // Never the number: it would let whoever reads the audit trail approve.
  interface MfaEventMap {
    'device-approval.requested': { purpose: ApprovalPurpose, requestId: string, expiresAt: Date, approvers: number }
    'device-approval.approved': { purpose: ApprovalPurpose, requestId: string }
    'device-approval.denied': { purpose: ApprovalPurpose, requestId: string, reason: 'denied' | 'wrong_number' }
    'device-approval.suspicious': { purpose: ApprovalPurpose, requestId: string, reason: 'wrong_number' }
    'device-approval.locked': { seconds: number, denials: number }
    'device-approval.throttled': { reason: 'requests' | 'locked', retryAfter: number }
  }
}
