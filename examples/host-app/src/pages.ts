import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { User, Users } from './users.js'

export const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Until the user proves they read their address: the code form, on every signed-in page. */
const verifyBanner = (user: User | null, devOutbox: boolean): string => user && !user.verified
  ? `<section id="verify-email" class="card notice"><h2>Verify your email</h2>
    <p>We sent a 6-digit code to <strong>${escape(user.email)}</strong>. Enter it here to verify your address.</p>
    ${devOutbox ? '<p class="muted">No SMTP_URL is set: the mail is in the <a href="/dev/mail" target="_blank">development outbox</a>.</p>' : ''}
    <form id="verify-email-form" class="inline"><label>Verification code <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required></label>
    <button type="submit">Verify</button> <button type="button" data-action="resend-verification" class="link">Send a new code</button></form>
    <p class="error" data-error></p></section>`
  : ''

/**
 * Where sign-in requests to approve appear (public/app.js fills it from GET /mfa/approvals/stream):
 * on the pages of a session that can approve them, signed in at AAL 2 or more and not enrol-only.
 */
const approvalsBox = (request: FastifyRequest): string =>
  request.mfa.userId !== null && request.mfa.aal >= 2 && !request.mfa.enrollOnly && request.server.mfa.factors.get('device-approval')
    ? '<section id="approvals" aria-live="assertive" aria-label="Sign-in requests to approve" hidden></section>'
    : ''

/** The signing-in side of an approval on another device: the number to type there, and the wait. */
const approvalPanel = (id: string, remember: boolean): string => `
      <div id="${id}" class="approval-wait" hidden>
        <p data-approval-intro>Open Example Host App on a device where you're signed in and enter</p>
        <p class="approval-number" data-number aria-live="polite"></p>
        <p class="muted" data-approval-status role="status"></p>
        ${remember ? '<label class="check"><input type="checkbox" name="remember-approval"> Remember this device for 30 days</label>' : ''}
        <p class="error" data-approval-error></p>
        <p class="actions"><button type="button" data-action="approval-retry" hidden>Send a new request</button>
        <button type="button" data-action="approval-cancel" class="link">Use another method</button></p>
      </div>`

export function layout (request: FastifyRequest, title: string, page: string, body: string, user: User | null = null, devOutbox = false): string {
  const signedIn = request.mfa.userId !== null
  const nav = signedIn
    ? '<a href="/settings/security">Security</a><a href="/admin">Admin</a><button type="button" data-action="logout" class="link">Sign out</button>'
    : '<a href="/login">Sign in</a><a href="/signup">Create account</a>'
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)} · Example Host App</title><link rel="stylesheet" href="/assets/style.css"></head>
<body data-page="${page}"><header><a class="brand" href="/">Example Host App</a><nav>${nav}</nav></header>
<main>${verifyBanner(user, devOutbox)}${body}</main>${approvalsBox(request)}<div id="toast" role="status" aria-live="polite"></div>
<script src="/assets/webauthn.js"></script><script src="/assets/app.js" type="module"></script></body></html>`
}

/** Support-assisted recovery: POST /admin/users/reset-mfa (SPEC §8). */
const supportRecovery = `
    <section class="card" id="reset-mfa"><h2>Support-assisted recovery</h2>
      <p class="muted">For a user who lost every second factor and proved who they are another way. Their factors, backup codes and
      remembered devices are removed and every session of theirs ends; they sign in with their password and set up a factor again.
      The reset, your name and the reason are kept in the audit log and shown to the user.</p>
      <form id="reset-mfa-form"><label>User's email <input name="email" type="email" maxlength="254" required></label>
      <label>Reason <textarea name="reason" rows="3" maxlength="500" required placeholder="e.g. ticket #1234: lost phone, identity checked by video call"></textarea></label>
      <p class="actions"><button type="submit" class="danger">Reset second factors</button></p><p class="error" data-error></p><p data-result role="status"></p></form></section>`

const METHOD_NAMES: Record<string, string> = {
  totp: 'Authenticator app', webauthn: 'Security key or passkey', 'backup-code': 'Backup codes', 'email-otp': 'Email codes', 'sms-otp': 'Text message codes', 'device-approval': 'Approval on a signed-in device'
}

/** Codes sent by email: turning on proves the account's address (@fastify-mfa/sent-codes). */
const emailCard = `
    <section class="card" id="email-otp"><h2>Email codes</h2><p data-status>…</p>
      <form id="email-otp-confirm" data-setup hidden><label>Type the 6-digit code we emailed to <strong data-sent-to></strong>
      <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required></label>
      <p class="actions"><button type="submit">Turn on</button> <button type="button" data-action="email-otp-setup" data-resend class="link">Send a new code</button></p></form>
      <p class="actions"><button type="button" data-action="email-otp-setup" data-start>Turn on</button> <button type="button" data-action="email-otp-disable" class="danger" hidden>Turn off</button></p></section>`

/** Codes sent by text message: the phone number is proven by a code sent to it. */
const smsCard = `
    <section class="card" id="sms-otp"><h2>Text message codes</h2><p data-status>…</p>
      <form id="sms-otp-phone" class="inline" hidden><label>Mobile number, with the country code <input name="phone" type="tel" autocomplete="tel" placeholder="+14155550123" maxlength="20" required></label>
      <button type="submit">Send a code</button></form>
      <form id="sms-otp-confirm" data-setup hidden><label>Type the 6-digit code we texted to <strong data-sent-to></strong>
      <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required></label>
      <p class="actions"><button type="submit">Turn on</button> <button type="button" data-action="sms-otp-resend" class="link">Send a new code</button></p></form>
      <p class="actions"><button type="button" data-action="sms-otp-start" data-start>Set up</button> <button type="button" data-action="sms-otp-disable" class="danger" hidden>Turn off</button></p></section>`

/** The settings cards past enrolment: devices, sessions, password, events, account deletion. */
const accountCards = `
    <section class="card" id="devices"><h2>Remembered devices</h2><p class="muted">Browsers where you ticked “remember this device” skip the second factor for 30 days.</p><ul data-list></ul>
      <p class="actions"><button type="button" data-action="revoke-all" class="secondary">Forget all devices</button></p></section>
    <section class="card" id="sessions"><h2>Signed-in sessions</h2><p class="muted">Browsers and apps signed in to your account now.</p><ul data-list></ul>
      <p class="actions"><button type="button" data-action="end-other-sessions" class="secondary">Sign out all other sessions</button></p></section>
    <section class="card" id="password"><h2>Change password</h2><p class="muted">Every other session is signed out, and remembered devices ask for the second factor again.</p>
      <form id="password-change"><label>Current password <input name="currentPassword" type="password" autocomplete="current-password" maxlength="200" required></label>
      <label>New password <input name="newPassword" type="password" autocomplete="new-password" minlength="8" maxlength="200" required></label>
      <p class="actions"><button type="submit">Change password</button></p><p class="error" data-error></p></form></section>
    <section class="card" id="events"><h2>Recent security events</h2><ol data-list></ol></section>
    <section class="card" id="account"><h2>Delete account</h2><p class="muted">Deletes your account, its second factors and its security history, and signs you out everywhere. This cannot be undone.</p>
      <p class="actions"><button type="button" data-action="delete-account" class="danger">Delete account</button></p></section>`

const send = (reply: FastifyReply, html: string) => reply.type('text/html; charset=utf-8').send(html)

interface PageOptions {
  users: Users
  /** Whether the `sms-otp` factor is registered (a provider, or the development outbox). */
  sms: boolean
  /** Whether mail goes to the development outbox (the banner links to it). */
  devOutbox: boolean
  /** ADMIN_HARDWARE_KEYS: admins need a device-bound key; their pages say so. */
  adminHardwareKeys?: boolean
  /** Whether the login page tries the automatic passkey upgrade (PASSKEY_AUTO_UPGRADE). */
  passkeyAutoUpgrade?: boolean
}

/** What an admin under ADMIN_HARDWARE_KEYS is told on the key card and the admin page. */
const HARDWARE_KEY_NOTE = 'Administrators need a security key that stays on one device (such as a USB key): a passkey synced between devices does not count.'

export async function pageRoutes (app: FastifyInstance, { users, sms, devOutbox, adminHardwareKeys = false, passkeyAutoUpgrade = true }: PageOptions): Promise<void> {
  const render = (request: FastifyRequest, title: string, page: string, body: string, user: User | null = null): string =>
    layout(request, title, page, body, user, devOutbox)
  const signedInUser = async (request: FastifyRequest): Promise<User | null> => request.mfa.userId ? await users.byId(request.mfa.userId) : null

  app.get('/', async (request, reply) => {
    const user = await signedInUser(request)
    const body = user
      ? `<h1>Welcome back</h1><p>Signed in as <strong>${escape(user.email)}</strong> · assurance level <strong>${request.mfa.aal}</strong>
         (${escape(request.mfa.amr.join(', '))}).</p><div id="nudge"></div><p><a class="button" href="/settings/security">Security settings</a></p>`
      : '<h1>An app that already exists</h1><p>It has its own users and pages. fastify-mfa adds authenticator apps, codes by email and text message, backup codes, security keys and passkeys.</p><p><a class="button" href="/signup">Create an account</a> <a href="/login">Sign in</a></p>'
    return send(reply, render(request, 'Home', 'home', body, user))
  })

  app.get('/signup', async (request, reply) => send(reply, render(request, 'Create account', 'signup', `
    <h1>Create an account</h1>
    <form id="signup-form" class="card"><label>Email <input name="email" type="email" autocomplete="username" required></label>
    <label>Password <input name="password" type="password" autocomplete="new-password" minlength="8" required></label>
    <p class="actions"><button type="submit">Create account</button></p><p class="error" data-error></p>
    <p class="muted">Already have an account? <a href="/login">Sign in</a></p></form>`)))

  app.get('/login', async (request, reply) => send(reply, render(request, 'Sign in', 'login', `
    <h1>Sign in</h1>
    <form id="password-form" class="card"${passkeyAutoUpgrade ? ' data-passkey-upgrade' : ''}><label>Email <input name="login" type="email" autocomplete="username webauthn" required></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <p class="actions"><button type="submit">Continue</button> <button type="button" data-action="passkey" class="secondary">Sign in with a passkey</button></p>
    <p class="error" data-error></p><p class="muted">New here? <a href="/signup">Create an account</a></p></form>
    <section id="second-factor" class="card" hidden><h2>Second factor</h2><p class="muted">Confirm it is you with one of your methods.</p>
      <form id="code-form" data-method="totp"><label><span data-code-label>Code from your authenticator app</span>
      <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
      <label class="check"><input type="checkbox" name="remember"> Remember this device for 30 days</label>
      <p class="actions"><button type="submit">Verify</button></p></form>
      <p class="actions" data-send><button type="button" data-action="send-code" data-method="email-otp" class="secondary" hidden>Email me a code</button>
      <button type="button" data-action="send-code" data-method="sms-otp" class="secondary" hidden>Text me a code</button></p>
      <p class="actions"><button type="button" data-action="security-key" class="secondary" hidden>Use a security key or passkey</button>
      <button type="button" data-action="approve-elsewhere" class="secondary" hidden>Approve on another device</button>
      <button type="button" data-action="use-backup" class="link" hidden>Use a backup code instead</button></p>
      <p class="error" data-error></p>${approvalPanel('login-approval', true)}</section>`)))

  app.get('/settings/security', async (request, reply) => {
    if (request.mfa.userId === null) return reply.redirect('/login')
    // An enrol-only session reaches only the enrolment routes: the other cards are not shown at all.
    const enrollOnly = request.mfa.enrollOnly
    const user = await signedInUser(request)
    // An admin under ADMIN_HARDWARE_KEYS: the page asks for a device-bound key, not any passkey.
    const hardwareKeys = adminHardwareKeys && user?.roles.includes('admin') === true
    return send(reply, render(request, 'Security', 'security', `
    <h1${enrollOnly ? ' data-enroll-only' : ''}${hardwareKeys ? ' data-hardware-keys' : ''}>Security settings</h1><div id="nudge"></div>
    <section class="card" id="totp"><h2>Authenticator app</h2><p data-status>…</p>
      <div class="setup" data-setup hidden><img data-qr alt="QR code for your authenticator app" width="180" height="180">
      <div><p>Scan the QR code with your authenticator app, or enter this key by hand:</p><p><code data-secret></code></p>
      <form id="totp-confirm"><label>Then type the 6-digit code the app shows <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label><button type="submit">Turn on</button></form></div></div>
      <p class="actions"><button type="button" data-action="totp-setup">Set up</button> <button type="button" data-action="totp-disable" class="danger" hidden>Turn off</button></p></section>
    <section class="card" id="backup"${enrollOnly ? ' hidden' : ''}><h2>Backup codes</h2><p data-status>…</p><div data-codes hidden><p><strong>Save these codes now.</strong> Each works once, and they are not shown again.</p>
      <pre data-list></pre><p class="actions"><button type="button" data-action="copy-codes" class="secondary">Copy</button> <button type="button" data-action="download-codes" class="secondary">Download</button></p></div>
      ${enrollOnly ? '' : '<p class="actions"><button type="button" data-action="regenerate-codes" class="secondary">Generate new codes</button></p>'}</section>
    <section class="card" id="keys"><h2>Security keys and passkeys</h2><p class="muted">Sign in with a fingerprint, face, screen lock or a USB key. Phishing-resistant.</p>
      ${hardwareKeys ? `<p class="note" data-hardware-note>${escape(HARDWARE_KEY_NOTE)}</p>` : ''}<ul data-list></ul>
      <form id="key-add" class="inline"><label>Name <input name="name" maxlength="64" placeholder="e.g. YubiKey, this laptop"></label><button type="submit">Add a key or passkey</button></form></section>
    ${emailCard}${sms ? smsCard : ''}
    ${enrollOnly ? '' : accountCards}
    <dialog id="step-up"><form method="dialog" id="step-up-form"><h2>Confirm it is you</h2><p class="muted">This change needs a recent second factor.</p>
      <label><span data-code-label>Code (authenticator app or backup code)</span> <input name="code" autocomplete="one-time-code"></label>
      <p class="actions" data-send><button type="button" data-action="step-up-send" data-method="email-otp" class="secondary" hidden>Email me a code</button>
      <button type="button" data-action="step-up-send" data-method="sms-otp" class="secondary" hidden>Text me a code</button></p>
      <p class="actions"><button type="submit">Confirm</button> <button type="button" data-action="step-up-key" class="secondary">Use a security key</button>
      <button type="button" data-action="step-up-approval" class="secondary" hidden>Approve on another device</button>
      <button type="button" data-action="step-up-cancel" class="link">Cancel</button></p><p class="error" data-error></p>${approvalPanel('step-up-approval', false)}</form></dialog>`, user))
  })

  app.get('/admin', async (request, reply) => {
    if (request.mfa.userId === null) return reply.redirect('/login')
    const user = await signedInUser(request)
    const isAdmin = user?.roles.includes('admin') === true
    let denied: string | null = null
    if (!isAdmin) denied = 'Only administrators can open this page.'
    else if (!request.mfa.isFresh(app.mfa.options.freshAge, { methods: ['webauthn'] })) {
      denied = 'Verify with your security key or passkey to continue.'
    }
    if (denied) {
      // An admin without a key is sent to add one (which asks for a fresh code first), not to a button that cannot work.
      let next = ''
      if (isAdmin) {
        next = (await app.mfa.factors.enrolled(request.mfa.userId)).includes('webauthn')
          ? '<button type="button" data-action="admin-step-up">Verify with a security key</button><p class="error" data-error></p>'
          : '<p data-no-key>You have no security key or passkey yet: <a href="/settings/security#keys">add one in Security settings</a>, then come back.</p>'
      }
      return send(reply.code(403), render(request, 'Admin', 'admin', `<h1>Admin</h1><div class="card"><p class="error">${escape(denied)}</p>
      <p>The admin area needs a security key or passkey verified in the last ${Math.round(app.mfa.options.freshAge / 60)} minutes.</p>
      ${isAdmin && adminHardwareKeys ? `<p class="note" data-hardware-note>${escape(HARDWARE_KEY_NOTE)}</p>` : ''}${next}</div>`, user))
    }
    const stats = await app.mfa.stats()
    const rows = Object.entries(stats.byMethod).map(([m, n]) => `<tr><td>${escape(METHOD_NAMES[m] ?? m)}</td><td>${n}</td></tr>`).join('')
    return send(reply, render(request, 'Admin', 'admin', `<h1>Admin</h1><section class="card"><h2>MFA adoption</h2>
      <p><strong data-users-with-mfa>${stats.usersWithMfa}</strong> users have a second factor.</p><table><tr><th>Method</th><th>Users</th></tr>${rows}</table></section>${supportRecovery}`, user))
  })
}
