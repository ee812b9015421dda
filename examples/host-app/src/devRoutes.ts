import type { FastifyInstance } from 'fastify'
import { OUTBOX_CAPACITY, type DevOutbox } from './devOutbox.js'
import { escape, layout } from './pages.js'

// A mail's HTML is shown on its own, in a sandbox: no script runs, nothing loads from elsewhere, and
// the page cannot reach this app's cookies or pages (its origin is opaque).
const MAIL_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"

/**
 * The development outbox (only without SMTP_URL, never in production): `GET /dev/mail` lists the
 * latest mails and text messages, newest first; `/dev/mail.json` and `/dev/sms.json` are the same
 * for tests and scripts; `/dev/mail/:id.html` shows one mail's HTML part.
 */
export async function devRoutes (app: FastifyInstance, outbox: DevOutbox): Promise<void> {
  await app.register(async function devOutboxRoutes (dev) {
    // What the outbox holds are codes: never cached, by a browser or a proxy.
    dev.addHook('onSend', async (_request, reply) => { void reply.header('cache-control', 'no-store') })

    dev.get('/dev/mail.json', async () => outbox.mails())
    dev.get('/dev/sms.json', async () => outbox.texts())

    dev.get<{ Params: { id: string } }>('/dev/mail/:id.html', async (request, reply) => {
      const mail = outbox.mails().find((m) => m.id === request.params.id)
      if (!mail?.html) return await reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such mail' })
      return await reply.type('text/html; charset=utf-8').header('content-security-policy', MAIL_CSP).send(mail.html)
    })

    dev.get('/dev/mail', async (request, reply) => {
      const mails = outbox.mails().map((m) => `<li class="mail" data-id="${escape(m.id)}"><div class="meta"><time datetime="${escape(m.at)}">${escape(m.at)}</time>
        · to <strong>${escape(m.to.join(', '))}</strong> · from ${escape(m.from)}</div><h3>${escape(m.subject)}</h3><pre>${escape(m.text)}</pre>
        ${m.html ? `<p><a href="/dev/mail/${escape(m.id)}.html" target="_blank" rel="noopener">HTML version</a></p>` : ''}</li>`).join('')
      const texts = outbox.texts().map((s) => `<li class="sms" data-id="${escape(s.id)}"><div class="meta"><time datetime="${escape(s.at)}">${escape(s.at)}</time>
        · to <strong>${escape(s.to)}</strong></div><pre>${escape(s.text)}</pre></li>`).join('')
      return await reply.type('text/html; charset=utf-8').send(layout(request, 'Development outbox', 'dev-mail', `
        <h1>Development outbox</h1>
        <p class="muted">No SMTP_URL is set, so the app keeps its last ${OUTBOX_CAPACITY} mails and text messages here instead of sending them
        (never in production). Newest first; <a href="/dev/mail">reload</a> to see new ones. Also as JSON: <a href="/dev/mail.json">mails</a>, <a href="/dev/sms.json">text messages</a>.</p>
        <section class="card" id="outbox-mail"><h2>Mail</h2><ol class="outbox">${mails || '<li class="empty">No mail yet.</li>'}</ol></section>
        <section class="card" id="outbox-sms"><h2>Text messages</h2><ol class="outbox">${texts || '<li class="empty">No text messages yet.</li>'}</ol></section>`))
    })
  })
}
