import t from 'tap'
import { eachStore, until } from '@fastify-mfa/testing'
import type { SecurityNotification } from '@fastify-mfa/core'
import { buildSentCodesApp, EMAILS } from './helpers.js'
import { startSmtp } from './smtp.js'

const email = (smtp: { url: string }, templates = {}) =>
  ({ transport: smtp.url, from: 'Security <security@example.test>', getEmail: (id: string) => EMAILS[id] ?? null, templates })

t.test('an admin reset mails the user, with its reason and actor (HTML-escaped)', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { app } = await buildSentCodesApp(t, store, smtp, { options: { appName: 'Acme' } })
    await app.mfa.emit('recovery.admin_reset', { userId: 'u1', details: { actor: 'support@acme.test', reason: 'Lost phone <ticket #42>' } })
    const [mail] = await smtp.mailsTo(EMAILS.u1!)
    t.match(mail, { subject: 'Acme: Your two-step verification was reset', from: { text: /no-reply@example\.test/ } })
    t.match(mail!.text, /Reason given: Lost phone <ticket #42>/)
    t.match(mail!.text, /Reset by: support@acme\.test/)
    t.match(mail!.html, /Reason given: Lost phone &lt;ticket #42&gt;/, 'the reason is escaped in the HTML part')
    t.notMatch(mail!.html, /<ticket/)
  })
})

t.test('each notification type becomes a mail to the host\'s address for the user', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { app, signInPassword, enrolSms } = await buildSentCodesApp(t, store, smtp)
    await signInPassword('u2')
    await enrolSms() // factor.added
    await app.mfa.emit('device_cookie.issued', { userId: 'u2', details: { deviceId: 'd1' } })
    await app.mfa.emit('backup_codes.low', { userId: 'u2', details: { remaining: 2 } })
    await app.mfa.securityStampChanged('u2', { reason: 'password_changed' })
    await app.mfa.emit('login.locked', { userId: 'u2', details: { seconds: 60 } })
    const mails = await smtp.mailsTo(EMAILS.u2!, 5)
    t.same(mails.map((m) => m.subject).sort(), [
      'A sign-in method was added', 'New sign-in to your account', 'Sign-in was locked',
      'You are running out of backup codes', 'Your password was changed'
    ])
    t.match(mails.find((m) => m.subject === 'You are running out of backup codes')!.text, /Only 2 backup codes are left/)
  })
})

t.test('templates replace the default mails; null sends none of a type; notifications: false sends none', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const notification = (n: SecurityNotification) =>
      n.type === 'lockout' ? null : { subject: `[custom] ${n.type}`, text: `type ${n.type}`, html: `<b>${n.type}</b>` }
    const custom = await buildSentCodesApp(t, store, smtp, { options: { email: email(smtp, { notification }) } })
    await custom.app.mfa.emit('login.locked', { userId: 'u1', details: { seconds: 60 } })
    await custom.app.mfa.emit('backup_codes.regenerated', { userId: 'u1', details: { count: 10 } })
    const [mail] = await smtp.mailsTo(EMAILS.u1!)
    t.match(mail, { subject: '[custom] backup_codes_regenerated', text: 'type backup_codes_regenerated', html: '<b>backup_codes_regenerated</b>' })

    const off = await buildSentCodesApp(t, store, smtp, { options: { notifications: false } })
    const seen: string[] = []
    off.app.mfa.notifications.addChannel(async (n) => { seen.push(n.type) })
    await off.app.mfa.emit('recovery.admin_reset', { userId: 'u2', details: { actor: 'x', reason: 'y' } })
    t.same(seen, ['admin_reset'], 'core still hands it to the host\'s own channel')
    await until(() => smtp.mails.length > 1)
    t.equal(smtp.mails.length, 1, 'no mail went out (and the lockout mail above was suppressed by its template)')
  })
})

t.test('fastify.mfa.mailer sends the host\'s own mail through the same transport', async (t) => {
  await eachStore(t, async (t, store) => {
    const smtp = await startSmtp(t)
    const { app } = await buildSentCodesApp(t, store, smtp)
    await app.mfa.mailer!.send({ to: 'carol@example.test', subject: 'Welcome', text: 'Hello', html: '<p>Hello</p>' })
    const [mail] = await smtp.mailsTo('carol@example.test')
    t.match(mail, { subject: 'Welcome', text: 'Hello', from: { text: /no-reply@example\.test/ } })
  })
})
