import nodemailer, { type Transporter } from 'nodemailer'
import type { EmailOptions, Mailer } from './types.js'

const isTransporter = (value: unknown): value is Transporter =>
  typeof value === 'object' && value !== null && typeof (value as Transporter).sendMail === 'function'

/**
 * `fastify.mfa.mailer` over the `email.transport` option. A transport made here from a URL or
 * options is closed with the app; a Transporter the host passed stays the host's to close.
 */
export function createMailer (email: Pick<EmailOptions, 'transport' | 'from'>): Mailer & { close(): void } {
  const owned = !isTransporter(email.transport)
  // nodemailer logs nothing unless asked (`logger: false` by default): message bodies carry codes.
  const transporter: Transporter = isTransporter(email.transport) ? email.transport : nodemailer.createTransport(email.transport)
  return {
    async send ({ to, subject, text, html }) {
      await transporter.sendMail({ from: email.from, to, subject, text, ...(html !== undefined ? { html } : {}) })
    },
    close () { if (owned) transporter.close() }
  }
}
