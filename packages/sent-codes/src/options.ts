import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import { defaultCodeMail, defaultNotificationMail, defaultSmsText } from './templates.js'
import type { ResolvedSentCodesOptions, SentCodesOptions } from './types.js'

const { fail, wholeNumber } = optionChecks('@fastify-mfa/sent-codes')

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null
const optionalFunction = (value: unknown, name: string): void => {
  if (value !== undefined && typeof value !== 'function') fail(`option "${name}" must be a function`)
}

function resolveEmail (email: SentCodesOptions['email']): ResolvedSentCodesOptions['email'] {
  if (email === undefined) return null
  if (!isObject(email)) fail('option "email" must be an object { transport, from, getEmail }')
  const { transport, from, getEmail, templates = {} } = email
  if (typeof transport !== 'string' && !isObject(transport)) {
    fail('option "email.transport" is required: an SMTP URL, nodemailer transport options or a nodemailer Transporter')
  }
  if (typeof transport === 'string' && !/^smtps?:\/\//i.test(transport)) fail('option "email.transport" must be an smtp:// or smtps:// URL')
  if (typeof from !== 'string' || from.trim() === '') fail('option "email.from" is required: the From address of the mails')
  if (typeof getEmail !== 'function') fail('option "email.getEmail" is required: (userId) => the user\'s address or null')
  if (!isObject(templates)) fail('option "email.templates" must be an object { code?, notification? }')
  optionalFunction(templates.code, 'email.templates.code')
  optionalFunction(templates.notification, 'email.templates.notification')
  return {
    transport,
    from: from.trim(),
    getEmail,
    templates: { code: templates.code ?? defaultCodeMail, notification: templates.notification ?? defaultNotificationMail }
  }
}

function resolveSms (sms: SentCodesOptions['sms']): ResolvedSentCodesOptions['sms'] {
  if (sms === undefined) return null
  if (!isObject(sms) || typeof sms.send !== 'function') fail('option "sms" must be an object { send({ to, text }) }')
  optionalFunction(sms.text, 'sms.text')
  return { send: sms.send, text: sms.text ?? defaultSmsText }
}

/** Validates and defaults the options once, when the plugin starts. */
export function resolveOptions (options: SentCodesOptions): ResolvedSentCodesOptions {
  const { codeTtl = 600, maxAttempts = 5, sendLimits = {}, notifications = true, appName, prefix } = options ?? {}
  const email = resolveEmail(options?.email)
  const sms = resolveSms(options?.sms)
  if (email === null && sms === null) fail('configure at least one channel: option "email" and/or "sms"')
  if (!wholeNumber(codeTtl, 60, 3600)) fail('option "codeTtl" must be a whole number of seconds from 60 to 3600')
  if (!wholeNumber(maxAttempts, 1, 10)) fail('option "maxAttempts" must be a whole number from 1 to 10')
  if (!isObject(sendLimits)) fail('option "sendLimits" must be an object')
  const { interval = 30, perBinding = 5, perAccountPerHour = 10, perAddressPerHour = 10 } = sendLimits
  if (!wholeNumber(interval, 1, 3600)) fail('option "sendLimits.interval" must be a whole number of seconds from 1 to 3600')
  for (const [name, value] of Object.entries({ perBinding, perAccountPerHour, perAddressPerHour })) {
    if (!wholeNumber(value, 1, 100)) fail(`option "sendLimits.${name}" must be a whole number from 1 to 100`)
  }
  if (typeof notifications !== 'boolean') fail('option "notifications" must be a boolean')
  if (appName !== undefined && (typeof appName !== 'string' || appName.trim() === '')) fail('option "appName" must be a non-empty string')
  if (prefix !== undefined && (typeof prefix !== 'string' || !prefix.startsWith('/'))) fail('option "prefix" must be a path starting with "/"')
  return {
    email,
    sms,
    codeTtl,
    maxAttempts,
    sendLimits: { interval, perBinding, perAccountPerHour, perAddressPerHour },
    notifications: notifications && email !== null,
    appName: appName?.trim() ?? null,
    prefix: prefix ?? null
  }
}
