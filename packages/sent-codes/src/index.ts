import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { emailChannel, smsChannel, type Channel } from './channels.js'
import { createCodes } from './codes.js'
import { createSentCodeFactor } from './factor.js'
import { createSendLimits } from './limits.js'
import { createMailer } from './mailer.js'
import { addEmailNotifications } from './notify.js'
import { resolveOptions } from './options.js'
import { registerSentCodeRoutes } from './routes.js'
import { createSentCodeStore } from './store.js'
import type { SentCodesOptions } from './types.js'

async function fastifyMfaSentCodes (fastify: FastifyInstance, options: SentCodesOptions): Promise<void> {
  const opts = resolveOptions(options)
  const mfa = fastify.mfa
  const store = createSentCodeStore(mfa)
  const codes = createCodes(mfa, store, createSendLimits(mfa, opts.sendLimits), opts, fastify.log)
  const channels: Channel[] = []
  if (opts.email) {
    const mailer = createMailer(opts.email)
    mfa.mailer = { send: mailer.send }
    fastify.addHook('onClose', async () => { mailer.close() })
    channels.push(emailChannel(opts.email, mailer))
    if (opts.notifications) addEmailNotifications(mfa, opts.email, mailer, opts.appName)
  }
  if (opts.sms) channels.push(smsChannel(opts.sms))
  for (const channel of channels) {
    mfa.factors.register(createSentCodeFactor(mfa, channel, store, codes))
    mfa.addSummary(channel.summaryKey, async (userId) => {
      const enrolment = await store.findEnrolment(channel.method, userId)
      return { enabled: enrolment !== null, sentTo: enrolment?.sentTo ?? null }
    })
    await registerSentCodeRoutes(fastify, channel, { store, codes, prefix: opts.prefix ?? mfa.options.prefix })
  }
  mfa.registerUserData({ forget: store.forget })
}

export const mfaSentCodes = fp(fastifyMfaSentCodes, {
  fastify: '5.x',
  name: '@fastify-mfa/sent-codes',
  dependencies: ['@fastify-mfa/core']
})
export default mfaSentCodes

export type {
  SentCodesOptions, EmailOptions, SmsOptions, SendLimits, EmailTemplates, MailContent, CodeMessageInput, Mailer,
  SentCodeMethod, CodePurpose, EnrolmentDocument, CodeDocument, ClaimDocument, SendSlotDocument
} from './types.js'
export { errors } from './errors.js'
export { sentCodeCollections, sentCodeIndexes } from './store.js'
export { defaultCodeMail, defaultNotificationMail, defaultSmsText, escapeHtml } from './templates.js'
export { generateSentCode } from './generateSentCode.js'
export { hashSentCode, sentCodeMatches } from './hashSentCode.js'
export { maskAddress } from './maskAddress.js'
export { normalizePhone } from './normalizePhone.js'
export { normalizeSentCode } from './normalizeSentCode.js'
