import type { MfaApi } from '@fastify-mfa/core'
import type { Mailer, ResolvedSentCodesOptions } from './types.js'

/**
 * Security notifications by email: each one core hands over (new sign-in, factor added or removed,
 * backup codes, password changed, lockout, admin reset) is mailed to the host's address for the
 * user. Core does not wait for it and logs a failed delivery.
 */
export function addEmailNotifications (mfa: MfaApi, email: NonNullable<ResolvedSentCodesOptions['email']>, mailer: Mailer, appName: string | null): void {
  mfa.notifications.addChannel(async function emailNotification (notification) {
    const to = await email.getEmail(notification.userId)
    if (typeof to !== 'string' || to === '') return
    const content = email.templates.notification(notification, appName)
    if (content === null) return
    await mailer.send({ to, ...content })
  })
}
