// Browser side of the example app: plain fetch calls to the fastify-mfa routes.
const { startAuthentication, startRegistration, browserSupportsWebAuthnAutofill } = window.SimpleWebAuthnBrowser
const $ = (sel, root = document) => root.querySelector(sel)
const page = document.body.dataset.page
// The settings page of a session that may only enrol a factor (the server leaves the other cards out).
const enrollOnlyPage = $('[data-enroll-only]') !== null

const MESSAGES = {
  FST_MFA_INVALID_CREDENTIALS: 'That email and password do not match.',
  FST_MFA_INVALID_CODE: 'That code is not valid.',
  FST_MFA_LOGIN_EXPIRED: 'This sign-in has expired. Start again.',
  FST_MFA_LOCKED: 'Too many wrong codes. Try again in a few minutes.',
  FST_MFA_RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  FST_MFA_STEP_UP_REQUIRED: 'Confirm it is you to continue.',
  FST_MFA_REQUIRED: 'Verify your second factor to continue.',
  FST_MFA_ENROLLMENT_REQUIRED: 'Set up a second factor to continue.',
  FST_MFA_UNAUTHENTICATED: 'Your session has ended. Sign in again.',
  FST_MFA_SETUP_EXPIRED: 'The setup expired. Start it again.',
  FST_MFA_NOT_ENROLLED: 'That method is not set up for your account.',
  FST_MFA_METHOD_NOT_ALLOWED: 'Your account must use a security key or passkey for this.',
  FST_MFA_ORIGIN_REFUSED: 'This request came from another site and was refused. Reload this page and try again.',
  FST_MFA_UNSUPPORTED_MEDIA_TYPE: 'Something is wrong on our side. Reload the page.',
  FST_MFA_USER_VERIFICATION_REQUIRED: 'Unlock your security key or passkey (PIN, fingerprint or face) and try again.',
  FST_MFA_NOT_FOUND: 'It is gone already. Reload the page.',
  FST_MFA_WEBAUTHN_VERIFICATION_FAILED: 'The security key or passkey could not be verified.',
  FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED: 'The security key request expired. Try again.',
  FST_MFA_CREDENTIAL_EXISTS: 'This security key or passkey is already registered.',
  FST_MFA_BACKUP_CODES_CONFLICT: 'Your backup codes changed at the same time. Reload the page and try again.',
  FST_MFA_SECRET_DECRYPTION: 'Something is wrong on our side. Contact support.',
  APP_EMAIL_TAKEN: 'An account with this email exists. Sign in instead.',
  APP_RATE_LIMITED: 'Too many sign-ups from your network. Wait a minute and try again.',
  APP_ORIGIN_REFUSED: 'This request came from another site and was refused. Reload this page and try again.',
  APP_UNSUPPORTED_MEDIA_TYPE: 'Something is wrong on our side. Reload the page.',
  APP_WRONG_PASSWORD: 'Your current password is not right.',
  APP_ADMIN_ONLY: 'Only administrators can do this.',
  APP_USER_NOT_FOUND: 'No account has this email.',
  // Errors of the browser's WebAuthn call (@simplewebauthn/browser codes and DOMException names).
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: 'This security key or passkey is already registered.',
  NotAllowedError: 'The security key request was cancelled or timed out.',
  AbortError: 'The security key request was cancelled.'
}

class ApiError extends Error {
  constructor (body) { super(MESSAGES[body?.code] ?? body?.message ?? 'Something went wrong. Try again.'); this.body = body }
}

/** A failed WebAuthn ceremony in the browser, in words a user understands. */
const ceremonyError = (err) => err instanceof ApiError ? err : new Error(MESSAGES[err.code] ?? MESSAGES[err.name] ?? err.message)

async function api (method, url, body) {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  const data = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok) {
    const err = new ApiError(data)
    if (data?.code === 'FST_MFA_LOCKED' && data.retryAfter) err.message = `Too many wrong codes. Try again in ${Math.ceil(data.retryAfter / 60)} minute(s).`
    if (data?.attemptsLeft !== undefined) err.message += ` ${data.attemptsLeft} attempt(s) left.`
    throw err
  }
  return data
}

function toast (message) {
  const el = $('#toast'); el.textContent = message; el.classList.add('show')
  setTimeout(() => el.classList.remove('show'), 2500)
}
const showError = (root, err) => { $('[data-error]', root).textContent = err ? err.message : '' }

document.addEventListener('click', async (e) => {
  if (e.target.dataset.action === 'logout') { await api('POST', '/auth/logout'); location.href = '/' }
})

async function nudge () {
  const el = $('#nudge'); if (!el) return
  const s = await api('GET', '/auth/session')
  if (s.enrollOnly) {
    el.innerHTML = s.methods?.length || s.requiredMethods?.includes('webauthn')
      ? '<p class="nudge"><strong>Your account needs a security key or passkey.</strong> Add one below to finish signing in.</p>'
      : '<p class="nudge"><strong>Set up a second factor to keep using your account.</strong> Add an authenticator app or a passkey below.</p>'
  } else if (page === 'home' && (s.suggestEnrollment || (s.methods && s.methods.length === 0))) {
    el.innerHTML = '<p class="nudge">Protect your account: <a href="/settings/security">add an authenticator app or a passkey</a>.</p>'
  }
}

// ---- sign up and sign in ----
if (page === 'signup') {
  $('#signup-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(e.target)
    try {
      await api('POST', '/api/signup', { email: f.get('email'), password: f.get('password') })
      await api('POST', '/auth/login', { login: f.get('email'), password: f.get('password') })
      location.href = '/settings/security'
    } catch (err) { showError(e.target, err) }
  })
}

if (page === 'login') {
  const second = $('#second-factor')
  const codeForm = $('#code-form')
  const finish = (res) => { location.href = res?.enrollmentRequired ? '/settings/security' : '/' }
  const remember = () => codeForm.remember.checked

  function showSecondFactor (methods) {
    $('#password-form').hidden = true
    second.hidden = false
    const codeMethod = methods.includes('totp') ? 'totp' : methods.includes('backup-code') ? 'backup-code' : null
    codeForm.hidden = codeMethod === null
    setCodeMethod(codeMethod ?? 'totp')
    $('[data-action=security-key]').hidden = !methods.includes('webauthn')
    $('[data-action=use-backup]').hidden = !(methods.includes('backup-code') && codeMethod === 'totp')
    if (codeMethod) codeForm.code.focus()
  }
  function setCodeMethod (method) {
    codeForm.dataset.method = method
    $('[data-code-label]').textContent = method === 'totp' ? 'Code from your authenticator app' : 'One of your backup codes'
  }

  $('#password-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(e.target)
    try {
      const res = await api('POST', '/auth/login', { login: f.get('login'), password: f.get('password') })
      if (res.step === 'complete') finish(res)
      else showSecondFactor(res.methods)
    } catch (err) { showError(e.target, err) }
  })
  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      finish(await api('POST', '/auth/login/verify', { method: codeForm.dataset.method, code: codeForm.code.value, rememberDevice: remember() }))
    } catch (err) { showError(second, err); if (err.body?.code === 'FST_MFA_LOGIN_EXPIRED') setTimeout(() => location.reload(), 1500) }
  })
  second.addEventListener('click', async (e) => {
    if (e.target.dataset.action === 'use-backup') { setCodeMethod('backup-code'); e.target.hidden = true }
    if (e.target.dataset.action === 'security-key') {
      try {
        const optionsJSON = await api('POST', '/auth/login/webauthn/options', {})
        const response = await startAuthentication({ optionsJSON })
        finish(await api('POST', '/auth/login/webauthn/verify', { response, rememberDevice: remember() }))
      } catch (err) { showError(second, ceremonyError(err)) }
    }
  })
  async function passkey (useBrowserAutofill) {
    const optionsJSON = await api('POST', '/auth/passkey/options', {})
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill })
    finish(await api('POST', '/auth/passkey/verify', { response }))
  }
  $('[data-action=passkey]').addEventListener('click', () => passkey(false).catch((err) => showError($('#password-form'), ceremonyError(err))))
  browserSupportsWebAuthnAutofill().then((ok) => { if (ok) passkey(true).catch(() => {}) })
}

// ---- security settings ----
async function withStepUp (action) {
  try { return await action() } catch (err) {
    if (err.body?.code !== 'FST_MFA_STEP_UP_REQUIRED') throw err
    await stepUp(err.body.methods ?? [])
    return await action()
  }
}

function stepUp (methods) {
  const dialog = $('#step-up'); const form = $('#step-up-form')
  $('[data-action=step-up-key]', form).hidden = !methods.includes('webauthn')
  dialog.showModal()
  return new Promise((resolve, reject) => {
    const done = (ok, err) => { form.onsubmit = form.onclick = null; form.reset(); showError(form, null); dialog.close(); ok ? resolve() : reject(err) }
    form.onsubmit = async (e) => {
      e.preventDefault()
      const code = form.code.value.trim()
      const method = /^\d{6,8}$/.test(code) ? 'totp' : 'backup-code'
      try { await api('POST', '/auth/step-up/verify', { method, code }); done(true) } catch (err) { showError(form, err) }
    }
    form.onclick = async (e) => {
      if (e.target.dataset.action === 'step-up-cancel') done(false, new Error('Cancelled'))
      if (e.target.dataset.action === 'step-up-key') {
        try {
          const optionsJSON = await api('POST', '/auth/step-up/webauthn/options')
          await api('POST', '/auth/step-up/webauthn/verify', { response: await startAuthentication({ optionsJSON }) })
          done(true)
        } catch (err) { showError(form, ceremonyError(err)) }
      }
    }
  })
}

function showCodes (codes) {
  $('#backup').hidden = false // hidden on an enrol-only page until its first factor brings codes
  const box = $('#backup [data-codes]'); box.hidden = false
  $('[data-list]', box).textContent = codes.join('\n')
}

const EVENT_LABELS = {
  'login.success': 'Signed in',
  'login.password_failed': 'Wrong password',
  'login.passkey_failed': 'Passkey sign-in refused',
  'login.locked': 'Second factor locked after wrong codes',
  'mfa.code_accepted': 'Second factor accepted',
  'mfa.code_refused': 'Wrong second-factor code',
  'mfa.step_up': 'Identity confirmed again',
  'totp.setup_started': 'Authenticator app setup started',
  'totp.enabled': 'Authenticator app turned on',
  'totp.disabled': 'Authenticator app turned off',
  'totp.confirm_refused': 'Authenticator app setup code refused',
  'totp.replay': 'A used code was tried again',
  'backup_codes.created': 'Backup codes created',
  'backup_codes.regenerated': 'New backup codes generated',
  'backup_codes.used': 'Backup code used',
  'backup_codes.low': 'Few backup codes left',
  'backup_codes.removed': 'Backup codes removed',
  'webauthn.registered': 'Security key or passkey added',
  'webauthn.removed': 'Security key or passkey removed',
  'webauthn.clone_suspected': 'Possible copy of a security key detected',
  'device.remembered': 'Device remembered',
  'device.used': 'Signed in on a remembered device',
  'device.revoked': 'Remembered device forgotten',
  'security_stamp.changed': 'Security settings changed',
  'session.ended': 'Signed out of a session',
  'recovery.admin_reset': 'Second factors reset by support',
  logout: 'Signed out'
}
// Why the security stamp changed (its event ends the other sessions); the admin reset has its own event too.
const STAMP_REASONS = { password_changed: 'Password changed', admin_reset: 'Signed out everywhere after the support reset' }

function eventText (ev) {
  if (ev.type === 'recovery.admin_reset' && ev.details?.actor) return `${EVENT_LABELS[ev.type]} (${ev.details.actor}: “${ev.details.reason}”)`
  if (ev.type === 'security_stamp.changed' && STAMP_REASONS[ev.details?.reason]) return STAMP_REASONS[ev.details.reason]
  return EVENT_LABELS[ev.type] ?? ev.type
}
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/**
 * Lists of a settings card, fetched only when the page shows that card (an enrol-only page shows the
 * enrolment cards alone, the other routes answer it 403). One failing list does not stop the others.
 */
const loadCard = (selector, url) => $(selector)
  ? api('GET', url).catch((err) => { $(`${selector} [data-list]`).innerHTML = `<li class="empty">${escapeHtml(err.message)}</li>`; return null })
  : Promise.resolve(null)

async function renderSecurity () {
  // /mfa first: it creates the user's MFA record on first use, which the other routes then read.
  const summary = await api('GET', '/mfa')
  const [listed, devices, sessions, events] = await Promise.all([
    loadCard('#keys', '/mfa/webauthn/credentials'), loadCard('#devices', '/mfa/devices'),
    loadCard('#sessions', '/mfa/sessions'), loadCard('#events', '/auth/events?limit=15')
  ])
  const totp = $('#totp')
  $('[data-status]', totp).innerHTML = summary.totp
    ? '<span class="badge on">On</span> You sign in with codes from your authenticator app.'
    : '<span class="badge off">Off</span> Use an app such as Google Authenticator, 1Password or Authy.'
  $('[data-action=totp-setup]', totp).textContent = summary.totp ? 'Replace with a new app' : 'Set up'
  $('[data-action=totp-setup]', totp).hidden = !$('[data-setup]', totp).hidden
  $('[data-action=totp-disable]', totp).hidden = !summary.totp || enrollOnlyPage
  const remaining = summary.backupCodes?.remaining ?? 0
  $('#backup [data-status]').innerHTML = remaining
    ? `<span class="badge on">${remaining} left</span> One-time codes for when you lose your phone or key.`
    : '<span class="badge off">None</span> No backup codes yet. They come with your first second factor.'
  if (listed) {
    // The list route answers { credentials } (older builds: a bare array).
    const keys = Array.isArray(listed) ? listed : listed.credentials
    $('#keys [data-list]').innerHTML = keys.map((k) => `<li data-id="${escapeHtml(k.id)}"><div><strong>${escapeHtml(k.name)}</strong>
      <div class="meta">${k.deviceType === 'multiDevice' ? 'Synced passkey' : 'Security key'} · added ${when(k.createdAt)}${k.lastUsedAt ? ` · last used ${when(k.lastUsedAt)}` : ''}</div></div>
      ${enrollOnlyPage ? '' : '<span class="actions"><button type="button" class="link" data-action="rename-key">Rename</button> <button type="button" class="link danger" data-action="remove-key">Remove</button></span>'}</li>`).join('') ||
      '<li class="empty">None yet.</li>'
  }
  if (devices) {
    $('#devices [data-list]').innerHTML = devices.map((d) => `<li data-id="${escapeHtml(d.id)}"><div><strong>${escapeHtml(d.label)}</strong>${d.current ? ' <span class="badge on">this browser</span>' : ''}
      <div class="meta">last used ${when(d.lastUsedAt)} · until ${when(d.expiresAt)}</div></div>
      <span class="actions"><button type="button" class="link danger" data-action="revoke-device">Forget</button></span></li>`).join('') || '<li class="empty">None.</li>'
    $('#devices [data-action=revoke-all]').hidden = devices.length === 0
  }
  if (sessions) {
    const list = Array.isArray(sessions) ? sessions : sessions.sessions
    $('#sessions [data-list]').innerHTML = list.map((s) => `<li data-id="${escapeHtml(s.id)}"${s.current ? ' data-current' : ''}><div><strong>${escapeHtml(s.label)}</strong>${s.current ? ' <span class="badge on">this browser</span>' : ''}
      <div class="meta">${s.ip ? `${escapeHtml(s.ip)} · ` : ''}signed in ${when(s.createdAt)} · last seen ${when(s.lastSeenAt)}</div></div>
      ${s.current ? '' : '<span class="actions"><button type="button" class="link danger" data-action="end-session">Sign out</button></span>'}</li>`).join('') || '<li class="empty">None.</li>'
    $('#sessions [data-action=end-other-sessions]').hidden = !list.some((s) => !s.current)
  }
  if (events) {
    $('#events [data-list]').innerHTML = events.map((ev) => `<li data-type="${escapeHtml(ev.type)}"><span>${escapeHtml(eventText(ev))}</span>
      <time datetime="${escapeHtml(ev.at)}">${when(ev.at)}</time></li>`).join('') || '<li class="empty">Nothing yet.</li>'
  }
}
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

if (page === 'security') {
  const main = document.querySelector('main')
  main.addEventListener('click', async (e) => {
    const action = e.target.dataset.action; const id = e.target.closest('li')?.dataset.id
    try {
      if (action === 'totp-setup') {
        const setup = await withStepUp(() => api('POST', '/mfa/totp/setup', {}))
        const box = $('#totp [data-setup]'); box.hidden = false
        $('[data-qr]', box).src = setup.qrCodeDataUrl; $('[data-secret]', box).textContent = setup.secret
        $('#totp-confirm [name=code]').focus()
      }
      if (action === 'totp-disable' && confirm('Turn off the authenticator app?')) { await withStepUp(() => api('DELETE', '/mfa/totp')); toast('Authenticator app turned off') }
      if (action === 'regenerate-codes') showCodes((await withStepUp(() => api('POST', '/mfa/backup-codes', {}))).codes)
      if (action === 'copy-codes') { await navigator.clipboard.writeText($('#backup [data-list]').textContent); toast('Copied') }
      if (action === 'download-codes') {
        const a = document.createElement('a'); a.download = 'backup-codes.txt'
        a.href = URL.createObjectURL(new Blob([$('#backup [data-list]').textContent + '\n'], { type: 'text/plain' })); a.click()
      }
      if (action === 'rename-key') { const name = prompt('New name'); if (name) await api('PATCH', `/mfa/webauthn/credentials/${id}`, { name }) }
      if (action === 'remove-key' && confirm('Remove this key?')) await withStepUp(() => api('DELETE', `/mfa/webauthn/credentials/${id}`))
      if (action === 'revoke-device') await api('DELETE', `/mfa/devices/${id}`)
      if (action === 'revoke-all') await api('DELETE', '/mfa/devices')
      if (action === 'end-session') { await withStepUp(() => api('DELETE', `/mfa/sessions/${id}`)); toast('That session is signed out') }
      if (action === 'end-other-sessions') { await withStepUp(() => api('DELETE', '/mfa/sessions')); toast('Every other session is signed out') }
      if (action === 'delete-account') {
        if (!confirm('Delete your account and everything in it? This cannot be undone.')) return
        await withStepUp(() => api('DELETE', '/api/account'))
        location.href = '/'
        return
      }
      if (action) await renderSecurity()
    } catch (err) { if (err.message !== 'Cancelled') toast(err.message) }
  })
  $('#totp-confirm').addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      const res = await api('POST', '/mfa/totp/confirm', { code: e.target.code.value.trim() })
      $('#totp [data-setup]').hidden = true
      if (res.backupCodes) showCodes(res.backupCodes)
      toast('Authenticator app is on'); await renderSecurity(); await enrolled()
    } catch (err) { toast(err.message) }
  })
  $('#password-change')?.addEventListener('submit', async (e) => {
    e.preventDefault()
    const form = e.target
    const body = { currentPassword: form.currentPassword.value, newPassword: form.newPassword.value }
    try {
      await withStepUp(() => api('POST', '/api/password', body))
      form.reset(); showError(form, null)
      toast('Password changed. Every other session is signed out.'); await renderSecurity()
    } catch (err) { if (err.message !== 'Cancelled') showError(form, err) }
  })
  $('#key-add').addEventListener('submit', async (e) => {
    e.preventDefault()
    const name = e.target.name.value.trim() || undefined
    try {
      const optionsJSON = await withStepUp(() => api('POST', '/mfa/webauthn/register/options', name ? { name } : {}))
      const response = await startRegistration({ optionsJSON })
      const res = await api('POST', '/mfa/webauthn/register/verify', name ? { response, name } : { response })
      if (res.backupCodes) showCodes(res.backupCodes)
      toast('Key added'); e.target.reset(); await renderSecurity()
      $('#nudge').innerHTML = ''; await enrolled()
    } catch (err) { if (err.message !== 'Cancelled') toast(ceremonyError(err).message) }
  })
  /**
   * On an enrol-only page, after a factor was added: proving it (a step-up) turns the session into a
   * full one when the policy is now met. The user saves any backup codes shown first, then clicks.
   */
  async function enrolled () {
    if (!enrollOnlyPage) return
    const s = await api('GET', '/auth/session')
    if (!s.enrollOnly) {
      $('#nudge').innerHTML = '<p class="nudge"><strong>You are all set.</strong> Save your backup codes if any are shown, then <a href="/settings/security">open all security settings</a>.</p>'
      return
    }
    // The factor added is not one the account's role accepts (an admin added an app, not a key): nothing to finish yet.
    if (s.requiredMethods && !s.methods.some((m) => s.requiredMethods.includes(m))) return nudge()
    $('#nudge').innerHTML = '<p class="nudge"><strong>Almost done.</strong> Save your backup codes if any are shown, then confirm with your new factor to finish signing in. ' +
      '<button type="button" data-action="finish-enrolment">Finish signing in</button></p>'
    $('[data-action=finish-enrolment]').onclick = async () => {
      try { await stepUp(s.stepUpMethods ?? s.methods ?? []); location.reload() } catch (err) { if (err.message !== 'Cancelled') toast(err.message) }
    }
  }
  // One after the other: see renderSecurity.
  renderSecurity().then(nudge).catch((err) => toast(err.message))
}

async function adminStepUp () {
  const optionsJSON = await api('POST', '/auth/step-up/webauthn/options')
  await api('POST', '/auth/step-up/webauthn/verify', { response: await startAuthentication({ optionsJSON }) })
}

if (page === 'admin') {
  $('[data-action=admin-step-up]')?.addEventListener('click', async (e) => {
    try { await adminStepUp(); location.reload() } catch (err) { showError(e.target.parentElement, ceremonyError(err)) }
  })
  $('#reset-mfa form')?.addEventListener('submit', async (e) => {
    e.preventDefault()
    const form = e.target; const result = $('[data-result]', form)
    const body = { email: form.email.value.trim(), reason: form.reason.value.trim() }
    showError(form, null); result.textContent = ''
    const reset = () => api('POST', '/admin/users/reset-mfa', body)
    try {
      // The page opened within MFA_FRESH_AGE of the key check; past it, the key is asked for again.
      await reset().catch(async (err) => {
        if (err.body?.code !== 'FST_MFA_STEP_UP_REQUIRED' && err.body?.code !== 'FST_MFA_REQUIRED') throw err
        await adminStepUp()
        return await reset()
      })
      result.textContent = `Done: ${body.email} has no second factor now and is signed out everywhere. They sign in with their password and set up a factor again; the reset and your reason are in their security events.`
      form.reset()
    } catch (err) { showError(form, ceremonyError(err)) }
  })
}
if (page === 'home') nudge().catch(() => {})
