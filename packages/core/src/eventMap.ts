/**
 * Every audit event of fastify-mfa and the details it carries (`fastify.mfa.on(type, fn)` and `emit`
 * are checked against it, so a typo such as `'loginsuccess'` does not compile). Each package adds its
 * own events by merging into this interface:
 * `declare module '@fastify-mfa/core' { interface MfaEventMap { 'totp.enabled': { replaced: boolean } } }`.
 */
export interface MfaEventMap {
  'security_stamp.changed': { reason: string, sessionsEnded: number }
  'session.ended': { sessionId?: string, count?: number, reason: 'signed_out' | 'user' | 'all_others' }
  'factor.added': Record<string, never>
  'factor.removed': { reason: string }
}

/** An event type: a key of `MfaEventMap`. */
export type MfaEventType = keyof MfaEventMap & string
