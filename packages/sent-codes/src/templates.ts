import type { NotificationType, SecurityNotification } from '@fastify-mfa/core'
import { deviceLabel } from '@fastify-mfa/core/plugin-kit'
import type { CodeMessageInput, MailContent } from './types.js'

/** Text for HTML: every character that could open markup or an attribute is escaped. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** A mail from paragraphs: the text part as written, the HTML part escaped, one `<p>` each. */
export function mailOf (subject: string, paragraphs: string[]): MailContent {
  return {
    subject,
    text: paragraphs.join('\n\n') + '\n',
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`
  }
}

const named = (appName: string | null, subject: string): string => appName ? `${appName}: ${subject}` : subject

const CODE_SUBJECTS = { login: 'Your sign-in code', 'step-up': 'Your verification code', enrol: 'Confirm your address' } as const

/** The default code mail. The code is not in the subject, which lock screens and previews show. */
export function defaultCodeMail (input: CodeMessageInput): MailContent {
  const use = input.purpose === 'enrol' ? 'to confirm this address for two-step verification' : 'to finish signing in'
  return mailOf(named(input.appName, CODE_SUBJECTS[input.purpose]), [
    `Your code is ${input.code}`,
    `Enter it ${use}. It expires in ${input.expiresInMinutes} minutes and works once.`,
    'If you did not ask for it, someone may know your password: change it. Never share this code; we will never ask you for it.'
  ])
}

/** The default SMS. */
export function defaultSmsText (input: CodeMessageInput): string {
  return `${input.code} is your ${input.appName ? `${input.appName} ` : ''}verification code. It expires in ${input.expiresInMinutes} minutes. Do not share it.`
}

const str = (value: unknown): string | null => typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null

/** What each notification says: a subject and the paragraphs before the common "where and when". */
const MESSAGES: Record<NotificationType, (d: Record<string, unknown>) => [string, string[]]> = {
  new_sign_in: () => ['New sign-in to your account', ['Your account was signed in to from a browser it had not been used from before.']],
  factor_added: (d) => ['A sign-in method was added',
    [`A second factor${str(d.method) ? ` (${str(d.method)})` : ''} was added to your account.`]],
  factor_removed: (d) => ['A sign-in method was removed',
    [`A second factor${str(d.method) ? ` (${str(d.method)})` : ''} was removed from your account. Other sessions were signed out.`]],
  backup_codes_used: (d) => ['A backup code was used',
    [`A backup code was used to sign in.${str(d.remaining) ? ` ${str(d.remaining)} remain.` : ''}`]],
  backup_codes_low: (d) => ['You are running out of backup codes',
    [`Only ${str(d.remaining) ?? 'a few'} backup codes are left. Create new ones in your security settings.`]],
  backup_codes_regenerated: () => ['New backup codes were created', ['New backup codes were created; the earlier ones no longer work.']],
  password_changed: () => ['Your password was changed', ['The password of your account was changed, and other sessions were signed out.']],
  lockout: () => ['Sign-in was locked', ['Sign-in to your account was locked after repeated wrong codes.']],
  approvals_locked: (d) => ['Sign-in requests were paused', [
    `Sign-in requests to approve on your devices were denied ${str(d.denials) ?? 'several'} times in a row, so they are paused${str(d.seconds) ? ` for ${Math.round(Number(d.seconds) / 60)} minutes` : ''}.`,
    'If you did not try to sign in, someone knows your password: change it now.'
  ]],
  admin_reset: (d) => ['Your two-step verification was reset', [
    'Support reset the two-step verification of your account: your second factors were removed and every session was signed out.',
    `Reason given: ${str(d.reason) ?? 'none'}`,
    ...(str(d.actor) ? [`Reset by: ${str(d.actor)}`] : [])
  ]]
}

/** The default notification mail: what happened, from where and when, and what to do if it was not the user. */
export function defaultNotificationMail (n: SecurityNotification, appName: string | null): MailContent {
  const [subject, paragraphs] = MESSAGES[n.type](n.details)
  const where = [n.userAgent ? deviceLabel(n.userAgent) : null, n.ip ? `address ${n.ip}` : null].filter(Boolean).join(', ')
  return mailOf(named(appName, subject), [
    ...paragraphs,
    `When: ${n.at.toISOString().replace('T', ' ').slice(0, 16)} UTC${where ? `. From: ${where}` : ''}.`,
    'If this was you, there is nothing to do. If it was not, change your password and review your security settings.'
  ])
}
