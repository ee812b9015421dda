import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Transport } from 'nodemailer'
import type MailMessage from 'nodemailer/lib/mailer/mail-message.js'

/** A mail as the development outbox keeps it. */
export interface OutboxMail {
  id: string
  at: string
  from: string
  to: string[]
  subject: string
  text: string
  html: string | null
}

/** A text message as the development outbox keeps it. */
export interface OutboxText {
  id: string
  at: string
  to: string
  text: string
}

/** Mails (and, apart, text messages) the outbox keeps: the newest. */
export const OUTBOX_CAPACITY = 100

/** Newest first, at most `capacity`: the outbox is for reading the last few mails, not an archive. */
function push<T> (list: T[], item: T, capacity: number): void {
  list.unshift(item)
  list.length = Math.min(list.length, capacity)
}

/** A mail body part as a string: nodemailer accepts strings, buffers, streams and paths; its resolver reads each. */
async function content (mail: MailMessage, key: 'text' | 'html'): Promise<string | null> {
  if (mail.data[key] === undefined || mail.data[key] === null) return null
  return await new Promise((resolve, reject) => {
    mail.resolveContent(mail.data, key, (err, value) => { err ? reject(err) : resolve(value === undefined || value === null ? null : String(value)) })
  })
}

/**
 * The development outbox: where mails and text messages go when no SMTP_URL is set (never in
 * production). `transport` is a nodemailer transport (`nodemailer.createTransport(outbox.transport)`),
 * so mails take the same path through nodemailer as with SMTP; `sendText` is an SMS `send` function.
 * The log says that something was sent and where to read it, never what it says: codes stay out of logs.
 */
export function createDevOutbox (log: FastifyBaseLogger, { capacity = OUTBOX_CAPACITY, now = Date.now }: { capacity?: number, now?: () => number } = {}) {
  const mails: OutboxMail[] = []
  const texts: OutboxText[] = []
  const id = (): string => randomBytes(6).toString('hex')

  const transport: Transport<{ envelope: { from: string | false, to: string[] }, messageId: string }> = {
    name: 'host-app-dev-outbox',
    version: '1.0.0',
    send (mail, callback) {
      const envelope = mail.message.getEnvelope()
      const messageId = mail.message.messageId()
      Promise.all([content(mail, 'text'), content(mail, 'html')]).then(([text, html]) => {
        const stored: OutboxMail = {
          id: id(),
          at: new Date(now()).toISOString(),
          from: typeof mail.data.from === 'string' ? mail.data.from : envelope.from || '',
          to: envelope.to,
          subject: typeof mail.data.subject === 'string' ? mail.data.subject : '',
          text: text ?? '',
          html
        }
        push(mails, stored, capacity)
        log.info({ outboxMail: stored.id, recipients: stored.to.length }, 'mail sent to the development outbox: read it at /dev/mail')
        callback(null, { envelope, messageId })
      }, (err: Error) => callback(err, undefined as never))
    }
  }

  return {
    transport,
    /** The SMS `send` function of @fastify-mfa/sent-codes. */
    async sendText ({ to, text }: { to: string, text: string }): Promise<void> {
      const stored: OutboxText = { id: id(), at: new Date(now()).toISOString(), to, text }
      push(texts, stored, capacity)
      log.info({ outboxText: stored.id }, 'text message sent to the development outbox: read it at /dev/mail')
    },
    /** Newest first. */
    mails: (): readonly OutboxMail[] => mails,
    texts: (): readonly OutboxText[] => texts
  }
}

export type DevOutbox = ReturnType<typeof createDevOutbox>
