import type { FastifyBaseLogger } from 'fastify'
import type { EventLog, MfaEvent } from './events.js'

/** The security notifications users get (issue 15): each from one audit event. */
export const NOTIFICATION_TYPES = [
  'new_sign_in', 'factor_added', 'factor_removed', 'backup_codes_used', 'backup_codes_low',
  'backup_codes_regenerated', 'password_changed', 'lockout', 'admin_reset', 'approvals_locked'
] as const
export type NotificationType = typeof NOTIFICATION_TYPES[number]

/** A notification for a channel to deliver (email, or the host's own). */
export interface SecurityNotification {
  type: NotificationType
  userId: string
  /** The factor it is about (`totp`, `webauthn`, `email-otp` …), when one. */
  method: string | null
  at: Date
  /** What the user should be told: the device, the method, the reason of a support reset … (never a secret). */
  details: Record<string, unknown>
  ip: string | null
  userAgent: string | null
}

export type NotificationChannel = (notification: SecurityNotification) => Promise<void>

/** Which audit event tells the user what. */
function typeOf (event: MfaEvent): NotificationType | null {
  switch (event.type) {
    case 'device_cookie.issued': return 'new_sign_in' // the first completed sign-in from this browser
    case 'factor.added': return 'factor_added'
    case 'factor.removed': return 'factor_removed'
    case 'backup_codes.used': return 'backup_codes_used'
    case 'backup_codes.low': return 'backup_codes_low'
    case 'backup_codes.regenerated': return 'backup_codes_regenerated'
    case 'login.locked': case 'mfa.codes_blocked': return 'lockout'
    case 'recovery.admin_reset': return 'admin_reset'
    case 'device-approval.locked': return 'approvals_locked' // denied sign-in requests in a row
    case 'security_stamp.changed': return event.details.reason === 'password_changed' ? 'password_changed' : null
    default: return null
  }
}

/**
 * Security notifications: audit events that a user should hear about, handed to the channels
 * registered (the sent-codes plugin's email channel, or the host's). Delivery does not hold up the
 * request that caused it; a failed delivery is logged.
 */
export function createNotifications (events: EventLog, log: FastifyBaseLogger, disabled: readonly string[]) {
  const channels: NotificationChannel[] = []
  events.on('*', (event) => {
    const type = typeOf(event)
    if (type === null || disabled.includes(type) || event.userId === null || channels.length === 0) return
    const notification: SecurityNotification = { type, userId: event.userId, method: event.method, at: event.at, details: event.details, ip: event.ip, userAgent: event.userAgent }
    for (const channel of channels) {
      channel(notification).catch((err: unknown) => { log.error({ err, type }, 'fastify-mfa: a security notification could not be delivered') })
    }
  })
  return {
    types: NOTIFICATION_TYPES,
    /** Adds a delivery channel; every enabled notification goes to each channel. */
    addChannel (channel: NotificationChannel): void {
      if (typeof channel !== 'function') throw new TypeError('@fastify-mfa/core: notifications.addChannel(fn) needs a function')
      channels.push(channel)
    }
  }
}

export type Notifications = ReturnType<typeof createNotifications>
