// Browser side of the example app: plain fetch calls to the fastify-mfa routes.
const { startAuthentication, startRegistration, browserSupportsWebAuthnAutofill } = window.SimpleWebAuthnBrowser
const $ = (sel, root = document) => root.querySelector(sel)
const page = document.body.dataset.page

const MESSAGES = {
  FST_MFA_INVALID_CREDENTIALS: 'That email and password do not match.',
  FST_MFA_INVALID_CODE: 'That code is not valid.',
  FST_MFA_LOGIN_EXPIRED: 'This sign-in has expired. Start again.',
  FST_MFA_LOCKED: 'Too many wrong codes. Try again in a few minutes.',
  FST_MFA_RATE_LIMITED: 'Too many attempts. Wait a moment and try again.',
  FST_MFA_STEP_UP_REQUIRED: 'Confirm it is you to continue.',
  FST_MFA_SETUP_EXPIRED: 'The setup expired. Start it again.',
  APP_EMAIL_TAKEN: 'An account with this email exists. Sign in instead.'
}

class ApiError extends Error {
  constructor (body) { super(MESSAGES[body.code] ?? body.message); this.body = body }
}

async function api (method, url, body) {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  const data = res.status === 204 ? null : await res.json()
  if (!res.ok) {
    const err = new ApiError(data)
    if (data.code === 'FST_MFA_LOCKED' && data.retryAfter) err.message = `Too many wrong codes. Try again in ${Math.ceil(data.retryAfter / 60)} minute(s).`
    if (data.attemptsLeft !== undefined) err.message += ` ${data.attemptsLeft} attempt(s) left.`
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
  if (s.suggestEnrollment || (s.methods && s.methods.length === 0)) {
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
  const finish = () => { location.href = '/' }
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
      if (res.step === 'complete') finish()
      else showSecondFactor(res.methods)
    } catch (err) { showError(e.target, err) }
  })
  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      await api('POST', '/auth/login/verify', { method: codeForm.dataset.method, code: codeForm.code.value, rememberDevice: remember() })
      finish()
    } catch (err) { showError(second, err); if (err.body?.code === 'FST_MFA_LOGIN_EXPIRED') setTimeout(() => location.reload(), 1500) }
  })
  second.addEventListener('click', async (e) => {
    if (e.target.dataset.action === 'use-backup') { setCodeMethod('backup-code'); e.target.hidden = true }
    if (e.target.dataset.action === 'security-key') {
      try {
        const optionsJSON = await api('POST', '/auth/login/webauthn/options', {})
        const response = await startAuthentication({ optionsJSON })
        await api('POST', '/auth/login/webauthn/verify', { response, rememberDevice: remember() })
        finish()
      } catch (err) { showError(second, err) }
    }
  })
  async function passkey (useBrowserAutofill) {
    const optionsJSON = await api('POST', '/auth/passkey/options', {})
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill })
    const res = await api('POST', '/auth/passkey/verify', { response })
    if (res.step === 'complete') finish(); else showSecondFactor(res.methods)
  }
  $('[data-action=passkey]').addEventListener('click', () => passkey(false).catch((err) => showError($('#password-form'), err)))
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
    const done = (ok, err) => { form.onsubmit = form.onclick = null; dialog.close(); ok ? resolve() : reject(err) }
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
        } catch (err) { showError(form, err) }
      }
    }
  })
}

function showCodes (codes) {
  const box = $('#backup [data-codes]'); box.hidden = false
  $('[data-list]', box).textContent = codes.join('\n')
}

async function renderSecurity () {
  const summary = await api('GET', '/mfa')
  const totp = $('#totp')
  $('[data-status]', totp).textContent = summary.totp ? 'On: you sign in with codes from your authenticator app.' : 'Off.'
  $('[data-action=totp-setup]', totp).textContent = summary.totp ? 'Replace with a new app' : 'Set up'
  $('[data-action=totp-disable]', totp).hidden = !summary.totp
  $('#backup [data-status]').textContent = summary.backupCodes?.remaining ? `${summary.backupCodes.remaining} unused codes left.` : 'No backup codes yet.'
  const keys = await api('GET', '/mfa/webauthn/credentials')
  $('#keys [data-list]').innerHTML = keys.map((k) => `<li data-id="${k.id}"><strong>${escapeHtml(k.name)}</strong> · ${k.deviceType === 'multiDevice' ? 'passkey' : 'security key'} · added ${new Date(k.createdAt).toLocaleDateString()}
    <button type="button" class="link" data-action="rename-key">Rename</button> <button type="button" class="link" data-action="remove-key">Remove</button></li>`).join('') || '<li>None yet.</li>'
  const devices = await api('GET', '/mfa/devices')
  $('#devices [data-list]').innerHTML = devices.map((d) => `<li data-id="${d.id}">${escapeHtml(d.label)}${d.current ? ' (this browser)' : ''} · last used ${new Date(d.lastUsedAt).toLocaleString()}
    <button type="button" class="link" data-action="revoke-device">Forget</button></li>`).join('') || '<li>None.</li>'
  const events = await api('GET', '/auth/events?limit=15')
  $('#events [data-list]').innerHTML = events.map((ev) => `<li>${new Date(ev.at).toLocaleString()} · ${escapeHtml(ev.type)}${ev.method ? ` (${escapeHtml(ev.method)})` : ''}</li>`).join('')
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
      if (action) await renderSecurity()
    } catch (err) { if (err.message !== 'Cancelled') toast(err.message) }
  })
  $('#totp-confirm').addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      const res = await api('POST', '/mfa/totp/confirm', { code: e.target.code.value.trim() })
      $('#totp [data-setup]').hidden = true
      if (res.backupCodes) showCodes(res.backupCodes)
      toast('Authenticator app is on'); await renderSecurity()
    } catch (err) { toast(err.message) }
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
    } catch (err) { toast(err.message) }
  })
  renderSecurity().catch((err) => toast(err.message))
}

if (page === 'admin') {
  $('[data-action=admin-step-up]')?.addEventListener('click', async (e) => {
    try {
      const optionsJSON = await api('POST', '/auth/step-up/webauthn/options')
      await api('POST', '/auth/step-up/webauthn/verify', { response: await startAuthentication({ optionsJSON }) })
      location.reload()
    } catch (err) { showError(e.target.parentElement, err) }
  })
}
if (page === 'home') nudge().catch(() => {})
