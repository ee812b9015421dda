// Browser side of the example app: plain fetch calls to the fastify-mfa routes.
const { startAuthentication, startRegistration, browserSupportsWebAuthnAutofill, WebAuthnAbortService } = window.SimpleWebAuthnBrowser
const $ = (sel, root = document) => root.querySelector(sel)
const page = document.body.dataset.page
// The settings page of a session that may only enrol a factor (the server leaves the other cards out).
const enrollOnlyPage = $('[data-enroll-only]') !== null
// The settings page of an admin who must use a device-bound key (ADMIN_HARDWARE_KEYS).
const hardwareKeysPage = $('[data-hardware-keys]') !== null

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
  FST_MFA_AUTHENTICATOR_NOT_ALLOWED: 'This kind of security key or passkey is not accepted here.',
  // FST_MFA_METHOD_NOT_ALLOWED with reason 'authenticator_not_allowed': the role needs a device-bound key (ADMIN_HARDWARE_KEYS).
  HARDWARE_KEY_REQUIRED: 'Your account must use a security key that stays on one device, such as a USB key: a passkey synced between devices does not count.',
  // A passkey sign-in 401 that carried signal.unknownCredential: the browser was told to forget that passkey.
  PASSKEY_UNKNOWN: 'That passkey is not registered here any more, so your browser was told to forget it. Sign in with your password.',
  // Any other refused passkey sign-in (FST_MFA_INVALID_CODE is the login routes' generic refusal).
  PASSKEY_REFUSED: 'That passkey could not sign you in. Sign in with your password.',
  FST_MFA_BACKUP_CODES_CONFLICT: 'Your backup codes changed at the same time. Reload the page and try again.',
  FST_MFA_SECRET_DECRYPTION: 'Something is wrong on our side. Contact support.',
  FST_MFA_DELIVERY_FAILED: 'The code could not be sent. Try again in a moment.',
  FST_MFA_NO_ADDRESS: 'Verify your email address first.',
  FST_MFA_INVALID_PHONE: 'Enter the number with its country code, e.g. +14155550123.',
  FST_MFA_APPROVAL_DENIED: 'The request was denied on your other device, or the number typed there did not match.',
  APP_EMAIL_TAKEN: 'An account with this email exists. Sign in instead.',
  APP_RATE_LIMITED: 'Too many sign-ups from your network. Wait a minute and try again.',
  APP_ORIGIN_REFUSED: 'This request came from another site and was refused. Reload this page and try again.',
  APP_UNSUPPORTED_MEDIA_TYPE: 'Something is wrong on our side. Reload the page.',
  APP_WRONG_PASSWORD: 'Your current password is not right.',
  APP_ADMIN_ONLY: 'Only administrators can do this.',
  APP_USER_NOT_FOUND: 'No account has this email.',
  APP_VERIFICATION_CODE_INVALID: 'That code is not right.',
  APP_VERIFICATION_EXPIRED: 'That code has expired or was tried too often. Send a new one.',
  APP_ALREADY_VERIFIED: 'Your email address is verified already.',
  APP_VERIFICATION_RATE_LIMITED: 'A code was sent a moment ago.',
  APP_DELIVERY_FAILED: 'The mail could not be sent. Try again in a moment.',
  // Errors of the browser's WebAuthn call (@simplewebauthn/browser codes and DOMException names).
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: 'This security key or passkey is already registered.',
  NotAllowedError: 'The security key request was cancelled or timed out.',
  AbortError: 'The security key request was cancelled.'
}

class ApiError extends Error {
  constructor (body) {
    const key = body?.reason === 'authenticator_not_allowed' ? 'HARDWARE_KEY_REQUIRED' : body?.code
    super(MESSAGES[key] ?? body?.message ?? 'Something went wrong. Try again.')
    this.body = body
  }
}

/** A failed WebAuthn ceremony in the browser, in words a user understands. */
const ceremonyError = (err) => err instanceof ApiError ? err : new Error(MESSAGES[err.code] ?? MESSAGES[err.name] ?? err.message)

async function api (method, url, body, { signal } = {}) {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined, signal })
  const data = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok) {
    const err = new ApiError(data)
    if (data?.code === 'FST_MFA_LOCKED' && data.retryAfter) err.message = `Too many wrong codes. Try again in ${Math.ceil(data.retryAfter / 60)} minute(s).`
    if (data?.attemptsLeft !== undefined) err.message += ` ${data.attemptsLeft} attempt(s) left.`
    if (data?.retryAfter && data.code !== 'FST_MFA_LOCKED') err.message += ` Try again in ${waitText(data.retryAfter)}.`
    throw err
  }
  return data
}

const waitText = (seconds) => seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`

/**
 * A "send a code" button that waits until `untilMs` (the server's `resendAfter`, or now plus a
 * 429's `retryAfter`), counting down on its label.
 */
function countdown (button, untilMs, label) {
  clearInterval(button.countdownTimer)
  const tick = () => {
    // At most an hour: a browser whose clock is far off still gets its button back.
    const left = Math.min(3600, Math.ceil((untilMs - Date.now()) / 1000))
    button.disabled = left > 0
    button.textContent = left > 0 ? `${label} (${left} s)` : label
    if (left <= 0) clearInterval(button.countdownTimer)
  }
  tick()
  button.countdownTimer = setInterval(tick, 1000)
}
/** After a refused send: the button waits out the 429's `retryAfter`. */
const waitAfterRefusal = (button, err, label) => { if (err.body?.retryAfter) countdown(button, Date.now() + err.body.retryAfter * 1000, label) }

const SENT_LABELS = { 'email-otp': 'Email me a new code', 'sms-otp': 'Text me a new code' }
const sentCodeLabel = (method, sentTo) => method === 'email-otp' ? `Code we emailed to ${sentTo}` : `Code we texted to ${sentTo}`

function toast (message) {
  const el = $('#toast'); el.textContent = message; el.classList.add('show')
  setTimeout(() => el.classList.remove('show'), 2500)
}
const showError = (root, err) => { $('[data-error]', root).textContent = err ? err.message : '' }

/** `promise`, or null when it has not settled within `ms` (it goes on; its outcome is then ignored). */
const within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(null), ms))])

// ---- approval on another device (number matching): the signing-in side ----
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const minutesLeft = (ms) => { const s = Math.max(0, Math.ceil(ms / 1000)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` }
const RETRY_LABEL = 'Send a new request'
const APPROVAL_RETRIES = 30 // verify calls that fail on the network in a row, 2 s apart

/**
 * Opens a request on the user's other signed-in devices (`start`), shows its number in `panel`, then
 * asks `verify` again and again: the server holds each call up to 25 s and answers 202 while nobody
 * decided. Answers verify's 200. Throws the ApiError of a denial (401 FST_MFA_APPROVAL_DENIED), an
 * expired or used request (400 FST_MFA_LOGIN_EXPIRED) or the limits against MFA fatigue (429), with
 * `atStart` when start refused it; an AbortError when `signal` aborts.
 */
async function approvalRequest (panel, { start, verify, signal }) {
  const started = await api('POST', start, {}, { signal }).catch((err) => { err.atStart = true; throw err })
  $('[data-number]', panel).textContent = String(started.number)
  // The countdown trusts the browser's clock only when it agrees with the server's on the request's
  // life (minutes): a clock that is far off gets no countdown. The server decides the expiry anyway.
  const left = Date.parse(started.expiresAt) - Date.now()
  const deadline = left > 0 && left <= 10 * 60_000 ? Date.now() + left : null
  const status = $('[data-approval-status]', panel)
  const tick = () => {
    status.textContent = 'Waiting for your other device…' + (deadline ? ` The request expires in ${minutesLeft(deadline - Date.now())}.` : '')
  }
  tick()
  panel.timer = setInterval(tick, 1000)
  for (let failures = 0; ;) {
    let answer
    try {
      answer = await api('POST', verify.url, verify.body(started.requestId), { signal })
      failures = 0
    } catch (err) {
      if (err instanceof ApiError || signal.aborted) throw err
      // The connection dropped (a network change, a proxy's timeout): ask again, for a minute.
      if (++failures >= APPROVAL_RETRIES) throw new Error('The connection to the app was lost. Check your connection and send a new request.')
      await sleep(2000)
      continue
    }
    if (answer?.status !== 'pending') return answer
  }
}

/** Why an approval request ended without approval, in words for the signing-in screen. */
function approvalRefusal (err) {
  const code = err.body?.code
  if (code === 'FST_MFA_RATE_LIMITED') {
    const wait = err.body.retryAfter ? ` Try again in ${waitText(err.body.retryAfter)},` : ' Try again later,'
    return `Too many requests to approve in a short time.${wait} or use another method.`
  }
  if (code === 'FST_MFA_METHOD_NOT_ALLOWED') return 'None of your other devices can approve this now. Use another method.'
  if (code === 'FST_MFA_LOGIN_EXPIRED' && !err.atStart) return 'The request expired before your other device answered it.'
  return err.message
}

/**
 * The approval panel of `container` (the login's second-factor card, the step-up dialog). While it
 * waits, the container shows only the panel (class `approving`); a denial, an expiry or a 429 is
 * said there, with "Send a new request" (which waits out a 429's `retryAfter`) and "Use another
 * method" (`cancel`). `approved(answer)` runs with verify's 200 answer.
 */
function approvalWaiter (container, panel, { start, verify, approved, approvedText, expired = null }) {
  let controller = null
  const status = $('[data-approval-status]', panel)
  const error = $('[data-approval-error]', panel)
  const retry = $('[data-action=approval-retry]', panel)
  const settle = () => { clearInterval(panel.timer); panel.classList.add('settled') }
  const stop = () => { controller?.abort(); controller = null; clearInterval(panel.timer) }
  async function run () {
    stop()
    const current = controller = new AbortController()
    container.classList.add('approving')
    panel.hidden = false
    panel.classList.remove('settled')
    $('[data-number]', panel).textContent = ''
    $('[data-approval-intro]', panel).hidden = false
    error.textContent = ''
    retry.hidden = true
    status.textContent = 'Sending the request to your other devices…'
    try {
      const answer = await approvalRequest(panel, { start, verify, signal: current.signal })
      settle()
      status.textContent = approvedText
      await approved(answer)
    } catch (err) {
      if (current.signal.aborted) return
      settle()
      $('[data-number]', panel).textContent = ''
      $('[data-approval-intro]', panel).hidden = true
      status.textContent = ''
      error.textContent = approvalRefusal(err)
      // The sign-in itself is gone (not only this request): it starts again from the password.
      if (err.atStart && err.body?.code === 'FST_MFA_LOGIN_EXPIRED' && expired) return expired()
      retry.hidden = err.body?.code === 'FST_MFA_METHOD_NOT_ALLOWED'
      if (err.body?.retryAfter) countdown(retry, Date.now() + err.body.retryAfter * 1000, RETRY_LABEL)
      else { clearInterval(retry.countdownTimer); retry.disabled = false; retry.textContent = RETRY_LABEL }
    }
  }
  function cancel () {
    stop()
    container.classList.remove('approving')
    panel.hidden = true
  }
  panel.onclick = (e) => {
    if (e.target.dataset.action === 'approval-retry') run()
    if (e.target.dataset.action === 'approval-cancel') cancel()
  }
  return { run, cancel }
}

// ---- WebAuthn Signal API: the browser's passkey list follows the account ----
const signalApi = () => {
  const pkc = window.PublicKeyCredential
  return pkc && (typeof pkc.signalAllAcceptedCredentials === 'function' || typeof pkc.signalCurrentUserDetails === 'function') ? pkc : null
}

/**
 * Tells the browser (and through it the password manager) which of its passkeys for this site the
 * account still accepts, and the user's current name: deleted passkeys leave its picker. Sent after
 * a sign-in and after a key is removed. Feature-detected (browsers without the Signal API skip it),
 * best effort: a signal never holds the page up for more than a second, and its failure is ignored.
 * `signals` is what GET /mfa/webauthn/signals answers (fetched when not given).
 */
async function sendSignals (signals) {
  const pkc = signalApi()
  if (!pkc) return
  try {
    const { allAcceptedCredentials, currentUserDetails } = signals ?? await api('GET', '/mfa/webauthn/signals')
    await within(Promise.allSettled([
      allAcceptedCredentials ? pkc.signalAllAcceptedCredentials?.(allAcceptedCredentials) : null,
      currentUserDetails ? pkc.signalCurrentUserDetails?.(currentUserDetails) : null
    ]), 1000)
  } catch {}
}

/** After a refused passkey sign-in: when the server said no account has that passkey, the browser is told to forget it. */
async function forgetUnknownPasskey (err) {
  const unknown = err?.body?.signal?.unknownCredential
  if (!unknown) return false
  const pkc = window.PublicKeyCredential
  if (typeof pkc?.signalUnknownCredential === 'function') await within(pkc.signalUnknownCredential(unknown).catch(() => {}), 1000)
  return true
}

/** A message for the next page (shown once, at its top), e.g. that a passkey was saved during sign-in. */
const FLASH_KEY = 'host-app.flash'
const flash = (message) => { try { sessionStorage.setItem(FLASH_KEY, message) } catch {} }

document.addEventListener('click', async (e) => {
  if (e.target.dataset.action === 'logout') { await api('POST', '/auth/logout'); location.href = '/' }
})

async function nudge () {
  const el = $('#nudge'); if (!el) return
  const s = await api('GET', '/auth/session')
  if (s.enrollOnly) {
    const needsKey = s.methods?.length || s.requiredMethods?.includes('webauthn')
    el.innerHTML = hardwareKeysPage
      ? '<p class="nudge"><strong>Your account needs a security key that stays on one device</strong> (such as a USB key). Add one below to finish signing in.</p>'
      : needsKey
        ? '<p class="nudge"><strong>Your account needs a security key or passkey.</strong> Add one below to finish signing in.</p>'
        : '<p class="nudge"><strong>Set up a second factor to keep using your account.</strong> Add an authenticator app or a passkey below.</p>'
  } else if (page === 'home' && (s.suggestEnrollment || (s.methods && s.methods.length === 0))) {
    el.innerHTML = '<p class="nudge">Protect your account: <a href="/settings/security">add an authenticator app or a passkey</a>.</p>'
  }
}

// ---- email verification (the banner on every signed-in page until the address is verified) ----
const verifyBanner = $('#verify-email')
if (verifyBanner) {
  $('#verify-email-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      const res = await api('POST', '/api/verify-email', { code: e.target.code.value.trim() })
      if (res.signedOut) {
        // A new administrator: every session ended, and the next sign-in applies the admin policy.
        verifyBanner.innerHTML = '<h2>Email verified</h2><p>Your account is an administrator account now, and those sign in with a security key or passkey. ' +
          'You were signed out: sign in again to continue.</p><p class="actions"><a class="button" href="/login" data-action="sign-in-again">Sign in again</a></p>'
        return
      }
      verifyBanner.remove()
      toast('Your email address is verified')
      if (page === 'security') await renderSecurity()
    } catch (err) { showError(verifyBanner, err) }
  })
  verifyBanner.addEventListener('click', async (e) => {
    if (e.target.dataset.action !== 'resend-verification') return
    try {
      await api('POST', '/api/verify-email/resend')
      showError(verifyBanner, null)
      toast('A new code is on its way')
      countdown(e.target, Date.now() + 30_000, 'Send a new code')
    } catch (err) { showError(verifyBanner, err); waitAfterRefusal(e.target, err, 'Send a new code') }
  })
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
  const remember = () => codeForm.remember.checked
  /**
   * The sign-in is complete: after a password and a second factor, the password manager may first
   * save a passkey (automatic upgrade); then the browser's passkey list is brought up to date, and
   * the app's page opens.
   */
  async function finish (res, { upgrade = false } = {}) {
    const button = $('#code-form button[type=submit]')
    button.disabled = true; button.textContent = 'Signing in…'
    if (upgrade && !res?.enrollmentRequired && !offered.includes('webauthn') && upgradeEnabled) {
      const credential = await autoUpgrade()
      if (credential) flash('Your password manager saved a passkey for this account. Next time choose “Sign in with a passkey”: no password or code needed.')
    }
    await sendSignals()
    location.href = res?.enrollmentRequired ? '/settings/security' : '/'
  }

  let offered = []
  const approvalPanel = $('#login-approval')
  const approval = approvalWaiter(second, approvalPanel, {
    start: '/auth/login/approval/start',
    verify: { url: '/auth/login/approval/verify', body: (requestId) => ({ requestId, rememberDevice: approvalPanel.querySelector('[name=remember-approval]').checked }) },
    approved: (res) => finish(res, { upgrade: true }),
    approvedText: 'Approved. Signing you in…',
    expired: () => setTimeout(() => location.reload(), 1500)
  })
  const upgradeEnabled = $('#password-form').hasAttribute('data-passkey-upgrade')
  function showSecondFactor (methods) {
    offered = methods
    $('#password-form').hidden = true
    second.hidden = false
    // Codes that are sent wait for "Email me a code": sending one unasked would spend the send limits.
    const codeMethod = methods.includes('totp') ? 'totp' : methods.some((m) => SENT_LABELS[m]) ? null : methods.includes('backup-code') ? 'backup-code' : null
    codeForm.hidden = codeMethod === null
    if (codeMethod) setCodeMethod(codeMethod)
    for (const button of second.querySelectorAll('[data-action=send-code]')) button.hidden = !methods.includes(button.dataset.method)
    $('[data-action=security-key]').hidden = !methods.includes('webauthn')
    $('[data-action=approve-elsewhere]').hidden = !methods.includes('device-approval')
    $('[data-action=use-backup]').hidden = !(methods.includes('backup-code') && codeMethod !== 'backup-code')
    if (codeMethod) codeForm.code.focus()
  }
  function setCodeMethod (method, sentTo) {
    codeForm.dataset.method = method
    codeForm.hidden = false
    $('[data-code-label]').textContent = method === 'totp' ? 'Code from your authenticator app' : method === 'backup-code' ? 'One of your backup codes' : sentCodeLabel(method, sentTo)
    $('[data-action=use-backup]').hidden = !(offered.includes('backup-code') && method !== 'backup-code')
  }

  $('#password-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(e.target)
    try {
      const res = await api('POST', '/auth/login', { login: f.get('login'), password: f.get('password') })
      if (res.step === 'complete') await finish(res)
      else showSecondFactor(res.methods)
    } catch (err) { showError(e.target, err) }
  })
  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      const res = await api('POST', '/auth/login/verify', { method: codeForm.dataset.method, code: codeForm.code.value, rememberDevice: remember() })
      await finish(res, { upgrade: true })
    } catch (err) {
      showError(second, err)
      if (err.body?.code === 'FST_MFA_LOGIN_EXPIRED') setTimeout(() => location.reload(), 1500)
      else codeForm.code.select() // a refused code: typing the next one replaces it
    }
  })
  second.addEventListener('click', async (e) => {
    if (e.target.dataset.action === 'use-backup') { setCodeMethod('backup-code'); codeForm.code.focus() }
    if (e.target.dataset.action === 'approve-elsewhere') { showError(second, null); approval.run() }
    if (e.target.dataset.action === 'send-code') {
      const button = e.target; const method = button.dataset.method
      try {
        const sent = await api('POST', '/auth/login/send', { method })
        showError(second, null)
        setCodeMethod(method, sent.sentTo)
        countdown(button, Date.parse(sent.resendAfter), SENT_LABELS[method])
        codeForm.code.value = ''
        codeForm.code.focus()
      } catch (err) {
        showError(second, err); waitAfterRefusal(button, err, SENT_LABELS[method])
        if (err.body?.code === 'FST_MFA_LOGIN_EXPIRED') setTimeout(() => location.reload(), 1500)
      }
    }
    if (e.target.dataset.action === 'security-key') {
      try {
        const optionsJSON = await api('POST', '/auth/login/webauthn/options', {})
        const response = await startAuthentication({ optionsJSON })
        await finish(await api('POST', '/auth/login/webauthn/verify', { response, rememberDevice: remember() }))
      } catch (err) { showError(second, ceremonyError(err)) }
    }
  })
  async function passkey (useBrowserAutofill) {
    const optionsJSON = await api('POST', '/auth/passkey/options', {})
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill })
    let res
    try {
      res = await api('POST', '/auth/passkey/verify', { response })
    } catch (err) {
      if (await forgetUnknownPasskey(err)) throw new ApiError({ code: 'PASSKEY_UNKNOWN' })
      if (err.body?.code === 'FST_MFA_INVALID_CODE') throw new ApiError({ code: 'PASSKEY_REFUSED' })
      throw err
    }
    await finish(res)
  }
  $('[data-action=passkey]').addEventListener('click', () => passkey(false).catch((err) => showError($('#password-form'), ceremonyError(err))))
  // The autofill waits in the background: cancelled or aborted requests say nothing, a refusal by the server does.
  browserSupportsWebAuthnAutofill().then((ok) => {
    if (ok) passkey(true).catch((err) => { if (err instanceof ApiError) showError($('#password-form'), err) })
  })
}

/**
 * How long the login page waits for the password manager to save a passkey (automatic upgrade)
 * before it opens the next page anyway: a browser may keep the request open without ever answering.
 */
const UPGRADE_WAIT_MS = 3000

/**
 * The automatic passkey upgrade (WebAuthn conditional create), right after a sign-in with the
 * password and a second factor: the password manager the user just signed in with may save a
 * passkey without a dialog. Only where the browser says it can (`conditionalCreate`; elsewhere the
 * same call would open the usual dialog), and silently: a refusal by the server (403 outside the
 * upgrade window, 404 when PASSKEY_AUTO_UPGRADE is off), a browser that declines (NotAllowedError)
 * or one that takes longer than UPGRADE_WAIT_MS just means no passkey. Answers the new credential or null.
 */
async function autoUpgrade () {
  try {
    const capabilities = await window.PublicKeyCredential?.getClientCapabilities?.()
    if (capabilities?.conditionalCreate !== true) return null
    const optionsJSON = await api('POST', '/mfa/webauthn/register/conditional/options', {})
    // The user has a security key or passkey already (one added since the password step, too).
    if (optionsJSON.excludeCredentials?.length > 0) return null
    const response = await within(startRegistration({ optionsJSON, useAutoRegister: true }), UPGRADE_WAIT_MS)
    if (response === null) { WebAuthnAbortService.cancelCeremony(); return null }
    return (await api('POST', '/mfa/webauthn/register/conditional/verify', { response })).credential
  } catch { return null }
}

// ---- security settings ----
async function withStepUp (action) {
  try { return await action() } catch (err) {
    if (err.body?.code !== 'FST_MFA_STEP_UP_REQUIRED') throw err
    await stepUp(err.body.methods ?? [])
    return await action()
  }
}

const STEP_UP_LABEL = 'Code (authenticator app or backup code)'

function stepUp (methods) {
  const dialog = $('#step-up'); const form = $('#step-up-form')
  $('[data-action=step-up-key]', form).hidden = !methods.includes('webauthn')
  $('[data-action=step-up-approval]', form).hidden = !methods.includes('device-approval')
  for (const button of form.querySelectorAll('[data-action=step-up-send]')) button.hidden = !methods.includes(button.dataset.method)
  // The method of the code typed: the one just sent, else told apart by its shape.
  let sentMethod = null
  $('[data-code-label]', form).textContent = STEP_UP_LABEL
  dialog.showModal()
  return new Promise((resolve, reject) => {
    const done = (ok, err) => { approval.cancel(); form.onsubmit = form.onclick = null; form.reset(); showError(form, null); dialog.close(); ok ? resolve() : reject(err) }
    // Another signed-in device approves (never this one: the server does not show it its own request).
    const approval = approvalWaiter(form, $('#step-up-approval'), {
      start: '/auth/step-up/approval/start',
      verify: { url: '/auth/step-up/approval/verify', body: (requestId) => ({ requestId }) },
      approved: () => done(true),
      approvedText: 'Approved.'
    })
    // Escape closes the dialog without Cancel: the wait ends with it.
    dialog.onclose = () => approval.cancel()
    form.onsubmit = async (e) => {
      e.preventDefault()
      const code = form.code.value.trim()
      const method = sentMethod ?? (/^\d{6,8}$/.test(code) && methods.includes('totp') ? 'totp' : 'backup-code')
      try { await api('POST', '/auth/step-up/verify', { method, code }); done(true) } catch (err) { showError(form, err) }
    }
    form.onclick = async (e) => {
      if (e.target.dataset.action === 'step-up-cancel') done(false, new Error('Cancelled'))
      if (e.target.dataset.action === 'step-up-approval') { showError(form, null); approval.run() }
      if (e.target.dataset.action === 'step-up-send') {
        const button = e.target; const method = button.dataset.method
        try {
          const sent = await api('POST', '/auth/step-up/send', { method })
          sentMethod = method
          showError(form, null)
          $('[data-code-label]', form).textContent = sentCodeLabel(method, sent.sentTo)
          countdown(button, Date.parse(sent.resendAfter), SENT_LABELS[method])
          form.code.focus()
        } catch (err) { showError(form, err); waitAfterRefusal(button, err, SENT_LABELS[method]) }
      }
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
  'webauthn.auto_registered': 'Passkey saved by your password manager at sign-in',
  'webauthn.authenticator_refused': 'A security key or passkey of a kind this app does not accept was refused',
  'webauthn.removed': 'Security key or passkey removed',
  'webauthn.clone_suspected': 'Possible copy of a security key detected',
  'device.remembered': 'Device remembered',
  'device.used': 'Signed in on a remembered device',
  'device.revoked': 'Remembered device forgotten',
  'security_stamp.changed': 'Security settings changed',
  'session.ended': 'Signed out of a session',
  'recovery.admin_reset': 'Second factors reset by support',
  'email-otp.sent': 'Code sent by email',
  'email-otp.enabled': 'Email codes turned on',
  'email-otp.disabled': 'Email codes turned off',
  'email-otp.confirm_refused': 'Email codes setup: wrong code',
  'email-otp.replay': 'A used email code was tried again',
  'email-otp.delivery_failed': 'A code could not be emailed',
  'sms-otp.sent': 'Code sent by text message',
  'sms-otp.enabled': 'Text message codes turned on',
  'sms-otp.disabled': 'Text message codes turned off',
  'sms-otp.confirm_refused': 'Text message codes setup: wrong code',
  'sms-otp.replay': 'A used text message code was tried again',
  'sms-otp.delivery_failed': 'A code could not be texted',
  'factor.added': 'Second factor added',
  'factor.removed': 'Second factor removed',
  'device_cookie.issued': 'Signed in from a new browser',
  'login.password_ok': 'Password accepted, second factor asked for',
  'login.throttled': 'Sign-in slowed down after wrong passwords',
  'mfa.codes_blocked': 'Codes blocked after too many wrong ones in a row',
  'device-approval.requested': 'Sign-in waiting for approval on a signed-in device',
  'device-approval.approved': 'Sign-in approved on a signed-in device',
  'device-approval.denied': 'Sign-in denied on a signed-in device',
  'device-approval.suspicious': 'Suspicious sign-in: the number typed to approve it did not match',
  'device-approval.locked': 'Requests to approve sign-ins paused after several denials',
  'device-approval.throttled': 'A request to approve a sign-in was refused: too many in a short time',
  logout: 'Signed out'
}
// Why the security stamp changed (its event ends the other sessions); the admin reset has its own event too.
const STAMP_REASONS = {
  password_changed: 'Password changed',
  admin_reset: 'Signed out everywhere after the support reset',
  admin_role_granted: 'Signed out everywhere: the account became an administrator',
  'email-otp.replaced': 'Email address for codes replaced',
  'email-otp.disabled': 'Signed out elsewhere: email codes turned off',
  'sms-otp.replaced': 'Phone number for codes replaced',
  'sms-otp.disabled': 'Signed out elsewhere: text message codes turned off'
}
const METHOD_LABELS = { totp: 'authenticator app', webauthn: 'security key or passkey', 'backup-code': 'backup codes', 'email-otp': 'email codes', 'sms-otp': 'text message codes', 'device-approval': 'approval on a signed-in device' }
const CODE_PURPOSES = { login: 'sign-in', 'step-up': 'confirmation', enrol: 'setup' }

/** The approval events (@fastify-mfa/device-approval), which say whether a sign-in or a step-up (a change) was asked for. */
function approvalEventText (ev) {
  const what = ev.details?.purpose === 'step-up' ? 'Confirmation of a change' : 'Sign-in'
  switch (ev.type) {
    case 'device-approval.requested': return `${what} waiting for approval on a signed-in device`
    case 'device-approval.approved': return `${what} approved on a signed-in device`
    case 'device-approval.denied': return ev.details?.reason === 'wrong_number'
      ? `${what} blocked: the number typed to approve it did not match`
      : `${what} denied on a signed-in device`
    case 'device-approval.locked': return ev.details?.seconds
      ? `Requests to approve paused for ${Math.round(ev.details.seconds / 60)} minutes after ${ev.details.denials} denials in a row`
      : EVENT_LABELS[ev.type]
    case 'device-approval.throttled': return ev.details?.reason === 'locked'
      ? 'A request to approve was refused: requests are paused after denials'
      : EVENT_LABELS[ev.type]
    default: return EVENT_LABELS[ev.type] ?? ev.type
  }
}

function eventText (ev) {
  if (ev.type.startsWith('device-approval.')) return approvalEventText(ev)
  if (ev.type === 'recovery.admin_reset' && ev.details?.actor) return `${EVENT_LABELS[ev.type]} (${ev.details.actor}: “${ev.details.reason}”)`
  if (ev.type === 'security_stamp.changed' && STAMP_REASONS[ev.details?.reason]) return STAMP_REASONS[ev.details.reason]
  if ((ev.type === 'factor.added' || ev.type === 'factor.removed') && METHOD_LABELS[ev.method]) return `${EVENT_LABELS[ev.type]}: ${METHOD_LABELS[ev.method]}`
  if (ev.type === 'login.success' && ev.method === 'device-approval') return 'Signed in, approved on a signed-in device'
  if ((ev.type === 'webauthn.registered' || ev.type === 'webauthn.auto_registered') && ev.details?.name) return `${EVENT_LABELS[ev.type]} (“${ev.details.name}”)`
  if (/^(email|sms)-otp\.sent$/.test(ev.type) && ev.details?.sentTo) {
    const purpose = CODE_PURPOSES[ev.details.purpose]
    return `${purpose ? `${purpose[0].toUpperCase()}${purpose.slice(1)} code` : 'Code'} sent to ${ev.details.sentTo}`
  }
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
    loadCard('#sessions', '/mfa/sessions'), loadCard('#events', '/auth/events?limit=30')
  ])
  const totp = $('#totp')
  $('[data-status]', totp).innerHTML = summary.totp
    ? '<span class="badge on">On</span> You sign in with codes from your authenticator app.'
    : '<span class="badge off">Off</span> Use an app such as Google Authenticator, 1Password or Authy.'
  $('[data-action=totp-setup]', totp).textContent = summary.totp ? 'Replace with a new app' : 'Set up'
  $('[data-action=totp-setup]', totp).hidden = !$('[data-setup]', totp).hidden
  $('[data-action=totp-disable]', totp).hidden = !summary.totp || enrollOnlyPage
  renderSentCodeCard($('#email-otp'), summary.emailOtp, {
    on: (to) => `You can get sign-in codes by email, at ${to}.`,
    off: 'Get a sign-in code by email. Convenient, but weaker than an app or a key: whoever reads your mail can use it.',
    // Codes go only to a verified address (the banner above is there until it is).
    blocked: $('#verify-email') ? 'Verify your email address first (see above).' : null
  })
  renderSentCodeCard($('#sms-otp'), summary.smsOtp, {
    on: (to) => `You can get sign-in codes by text message, at ${to}.`,
    off: 'Get a sign-in code by text message. Weaker than an app or a key: phone numbers can be taken over.',
    blocked: null
  })
  const remaining = summary.backupCodes?.remaining ?? 0
  $('#backup [data-status]').innerHTML = remaining
    ? `<span class="badge on">${remaining} left</span> One-time codes for when you lose your phone or key.`
    : '<span class="badge off">None</span> No backup codes yet. They come with your first second factor.'
  if (listed) {
    // The list route answers { credentials } (older builds: a bare array).
    const keys = Array.isArray(listed) ? listed : listed.credentials
    $('#keys [data-list]').innerHTML = keys.map((k) => `<li data-id="${escapeHtml(k.id)}" data-kind="${keyKind(k).id}"><div><strong>${escapeHtml(k.name)}</strong>
      <span class="badge kind">${keyKind(k).label}</span>
      <div class="meta">${k.authenticatorName && k.authenticatorName !== k.name ? `<span data-model>${escapeHtml(k.authenticatorName)}</span> · ` : ''}added ${when(k.createdAt)}${k.lastUsedAt ? ` · last used ${when(k.lastUsedAt)}` : ''}</div></div>
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
/**
 * A key as the list names it: a synced passkey (backup-eligible: the password manager copies it to
 * the user's other devices, assurance level 2) or a key that stays on one device (level 3).
 */
const keyKind = (k) => (k.backupEligible ?? k.deviceType === 'multiDevice')
  ? { id: 'synced', label: 'Synced passkey' }
  : { id: 'device-bound', label: 'This device only' }

/** The email or text-message card: on (and where to), or off with the button to start; a setup under way stays open. */
function renderSentCodeCard (card, summary, texts) {
  if (!card) return
  const on = summary?.enabled === true
  const settingUp = !$('[data-setup]', card).hidden || ($('#sms-otp-phone', card)?.hidden === false)
  $('[data-status]', card).innerHTML = on
    ? `<span class="badge on">On</span> ${escapeHtml(texts.on(summary.sentTo))}`
    : `<span class="badge off">Off</span> ${escapeHtml(texts.blocked ?? texts.off)}`
  const start = $('[data-start]', card)
  start.textContent = on ? (card.id === 'sms-otp' ? 'Use another number' : 'Confirm the address again') : card.id === 'sms-otp' ? 'Set up' : 'Turn on'
  start.hidden = settingUp || (on && card.id === 'email-otp')
  start.disabled = texts.blocked !== null
  $('[data-action$=-disable]', card).hidden = !on || enrollOnlyPage
}

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
      if (action === 'email-otp-setup') {
        const sent = await withStepUp(() => api('POST', '/mfa/email-otp/setup', {}))
        sentCodeSetupShown($('#email-otp'), sent, 'Send a new code')
      }
      if (action === 'email-otp-disable' && confirm('Turn off codes by email?')) { await withStepUp(() => api('DELETE', '/mfa/email-otp')); toast('Email codes turned off') }
      if (action === 'sms-otp-start') { $('#sms-otp-phone').hidden = false; $('#sms-otp [data-start]').hidden = true; $('#sms-otp-phone [name=phone]').focus() }
      if (action === 'sms-otp-resend') await sendSmsSetup()
      if (action === 'sms-otp-disable' && confirm('Turn off codes by text message?')) { await withStepUp(() => api('DELETE', '/mfa/sms-otp')); toast('Text message codes turned off') }
      if (action === 'regenerate-codes') showCodes((await withStepUp(() => api('POST', '/mfa/backup-codes', {}))).codes)
      if (action === 'copy-codes') { await navigator.clipboard.writeText($('#backup [data-list]').textContent); toast('Copied') }
      if (action === 'download-codes') {
        const a = document.createElement('a'); a.download = 'backup-codes.txt'
        a.href = URL.createObjectURL(new Blob([$('#backup [data-list]').textContent + '\n'], { type: 'text/plain' })); a.click()
      }
      if (action === 'rename-key') { const name = prompt('New name'); if (name) await api('PATCH', `/mfa/webauthn/credentials/${id}`, { name }) }
      if (action === 'remove-key' && confirm('Remove this key?')) {
        await withStepUp(() => api('DELETE', `/mfa/webauthn/credentials/${id}`))
        // The browser drops the removed passkey from its list (when it holds it).
        await sendSignals()
        toast('Key removed')
      }
      if (action === 'revoke-device') await api('DELETE', `/mfa/devices/${id}`)
      if (action === 'revoke-all') await api('DELETE', '/mfa/devices')
      if (action === 'end-session') { await withStepUp(() => api('DELETE', `/mfa/sessions/${id}`)); toast('That session is signed out') }
      if (action === 'end-other-sessions') { await withStepUp(() => api('DELETE', '/mfa/sessions')); toast('Every other session is signed out') }
      if (action === 'delete-account') {
        if (!confirm('Delete your account and everything in it? This cannot be undone.')) return
        // Read before the account goes: afterwards the browser is told that none of its passkeys for it count.
        const signals = signalApi() ? await api('GET', '/mfa/webauthn/signals').catch(() => null) : null
        await withStepUp(() => api('DELETE', '/api/account'))
        if (signals) await sendSignals({ allAcceptedCredentials: { ...signals.allAcceptedCredentials, allAcceptedCredentialIds: [] } })
        location.href = '/'
        return
      }
      if (action) await renderSecurity()
    } catch (err) {
      if (err.message !== 'Cancelled') toast(err.message)
      if (e.target.matches('[data-resend], [data-action$=-resend]')) waitAfterRefusal(e.target, err, 'Send a new code')
    }
  })

  /** A code is on its way: the confirm form opens, naming the (masked) address, and its resend button waits. */
  function sentCodeSetupShown (card, sent, resendLabel) {
    const form = $('[data-setup]', card)
    form.hidden = false
    $('[data-sent-to]', form).textContent = sent.sentTo
    $('[data-start]', card).hidden = true
    countdown($('[data-resend], [data-action$=-resend]', form), Date.parse(sent.resendAfter), resendLabel)
    form.code.value = ''
    form.code.focus()
  }
  let phone = null
  async function sendSmsSetup () {
    const sent = await withStepUp(() => api('POST', '/mfa/sms-otp/setup', { phone }))
    $('#sms-otp-phone').hidden = true
    sentCodeSetupShown($('#sms-otp'), sent, 'Send a new code')
  }
  $('#sms-otp-phone')?.addEventListener('submit', async (e) => {
    e.preventDefault()
    phone = e.target.phone.value.replace(/[\s().-]/g, '')
    try { await sendSmsSetup() } catch (err) { if (err.message !== 'Cancelled') toast(err.message) }
  })
  for (const [id, name] of [['email-otp', 'Email codes'], ['sms-otp', 'Text message codes']]) {
    $(`#${id}-confirm`)?.addEventListener('submit', async (e) => {
      e.preventDefault()
      try {
        const res = await api('POST', `/mfa/${id}/confirm`, { code: e.target.code.value.trim() })
        e.target.hidden = true
        if (res.backupCodes) showCodes(res.backupCodes)
        toast(`${name} are on`); await renderSecurity(); await enrolled()
      } catch (err) { toast(err.message) }
    })
  }
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
      // An admin who needs a device-bound key: the browser is asked to offer a security key first.
      if (hardwareKeysPage) optionsJSON.hints = ['security-key']
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
    // Only a device-bound key finishes an admin's sign-in under ADMIN_HARDWARE_KEYS.
    if (hardwareKeysPage && !(await api('GET', '/mfa/webauthn/credentials')).credentials.some((k) => keyKind(k).id === 'device-bound')) {
      // It cannot confirm adding another key either (a step-up with it is refused): only support can undo it.
      $('#nudge').innerHTML = '<p class="nudge"><strong>That passkey is synced between devices</strong>, so it does not count for an administrator, and it cannot confirm adding another key. ' +
        'Ask support to reset your second factors, then add a security key that stays on one device (such as a USB key) first.</p>'
      return
    }
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

// ---- approval on another device (number matching): the approving side, on every signed-in page ----
const PROMPT_TITLES = { login: 'Is this you signing in?', 'step-up': 'Is this you confirming a change?' }
const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']
const clockTime = (iso) => new Date(iso).toLocaleTimeString(undefined, { timeStyle: 'short' })
// How long the confirmation of an approval stays; a denial stays until closed (it says what to do next).
const APPROVED_CARD_MS = 6000

/** What the card says after the decision (the answer of POST /mfa/approvals/:id or /deny). */
function decisionText (answer, request) {
  const what = request.purpose === 'step-up' ? 'change' : 'sign-in'
  const advice = '<p class="muted">If it was not you, <a href="/settings/security#password">change your password</a>: someone else knows it.</p>'
  const paused = answer.locked ? '<p class="muted">After several denied requests in a row, requests to approve are paused for a while.</p>' : ''
  if (answer.status === 'approved') return `<p data-outcome-text>Approved. ${escapeHtml(request.label)} can go ahead with the ${what}.</p>`
  if (answer.reason === 'wrong_number') {
    return `<p data-outcome-text class="error">That number does not match the one on the other screen, so the ${what} was blocked.</p>` +
      `<p class="muted">If it was you, start again there and type the number it shows.</p>${advice}${paused}`
  }
  return `<p data-outcome-text>Denied. The ${what} was blocked.</p>${advice}${paused}`
}

/** A card for one request: where it comes from, the number pad, Approve and Deny. */
function approvalCard (request, remove) {
  const card = document.createElement('article')
  card.className = 'card approval-prompt'
  card.dataset.approvalId = request.id
  card.innerHTML = `<h2>${PROMPT_TITLES[request.purpose] ?? PROMPT_TITLES.login}</h2>
    <p class="meta"><strong data-label>${escapeHtml(request.label)}</strong> · <span data-ip>${escapeHtml(request.ip)}</span> ·
      <time datetime="${escapeHtml(request.createdAt)}">${escapeHtml(clockTime(request.createdAt))}</time></p>
    <form data-decide><label>Type the number shown on that screen
      <input name="number" inputmode="numeric" pattern="[1-9][0-9]" maxlength="2" autocomplete="off" required></label>
      <div class="numpad" role="group" aria-label="Number pad">${DIGITS.map((d) => `<button type="button" data-digit="${d}">${d}</button>`).join('')}<button type="button" data-digit="back" aria-label="Delete the last digit">⌫</button></div>
      <p class="actions"><button type="submit" disabled>Approve</button> <button type="button" data-action="approval-deny" class="danger">Deny</button></p>
      <p class="error" data-error></p></form>
    <p class="muted" data-hint>Not you? Deny it. <span data-expires></span></p>`
  const form = $('form', card)
  const input = form.number
  const approve = $('button[type=submit]', form)
  const typed = () => { input.value = input.value.replace(/\D/g, '').slice(0, 2); approve.disabled = !/^[1-9]\d$/.test(input.value) }
  input.addEventListener('input', typed)
  // While a decision is on its way, the stream's `resolved` for it (sent before the answer) leaves the card.
  const setBusy = (busy) => { card.toggleAttribute('data-deciding', busy); for (const b of card.querySelectorAll('button')) b.disabled = busy; if (!busy) typed() }
  async function decide (action) {
    setBusy(true)
    showError(form, null)
    const url = `/mfa/approvals/${encodeURIComponent(request.id)}`
    try {
      const answer = action === 'approve' ? await api('POST', url, { number: Number(input.value) }) : await api('POST', `${url}/deny`, {})
      card.removeAttribute('data-deciding')
      card.dataset.outcome = answer.status === 'approved' ? 'approved' : answer.reason
      card.innerHTML = `<h2>${answer.status === 'approved' ? 'Approved' : 'Blocked'}</h2>${decisionText(answer, request)}
        <p class="actions"><button type="button" class="secondary" data-action="approval-close">Close</button></p>`
      if (answer.status === 'approved') setTimeout(remove, APPROVED_CARD_MS)
    } catch (err) {
      if (err.body?.code !== 'FST_MFA_NOT_FOUND') { setBusy(false); showError(form, err); return }
      card.removeAttribute('data-deciding')
      card.dataset.outcome = 'gone'
      card.innerHTML = '<p data-outcome-text>This request was answered on another device, or it ended.</p>'
      setTimeout(remove, 3000)
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); if (!approve.disabled) decide('approve') })
  card.addEventListener('click', (e) => {
    const digit = e.target.dataset.digit
    if (digit === 'back') input.value = input.value.slice(0, -1)
    else if (digit && input.value.length < 2) input.value += digit
    if (digit) typed()
    if (e.target.dataset.action === 'approval-deny') decide('deny')
    if (e.target.dataset.action === 'approval-close') remove()
  })
  return card
}

/**
 * Sign-in requests of the user's other devices, shown here as they arrive: Server-Sent Events from
 * GET /mfa/approvals/stream (`approval`: a new request, `resolved`: decided, replaced or expired),
 * or, where the stream is not available (no EventSource, a proxy that cuts it), GET /mfa/approvals
 * every few seconds.
 */
function watchApprovals (box) {
  const cards = new Map() // request id → { card, request }
  const shown = () => { box.hidden = cards.size === 0 }
  /** The time left on an undecided card; an expired one goes. */
  function countDown (id) {
    const { card, deadline } = cards.get(id)
    if (card.dataset.outcome || card.hasAttribute('data-deciding')) return
    const left = deadline - Date.now()
    if (left <= 0) remove(id)
    else $('[data-expires]', card).textContent = `It expires in ${minutesLeft(left)}.`
  }
  function remove (id) {
    cards.get(id)?.card.remove()
    cards.delete(id)
    shown()
  }
  function add (request) {
    if (cards.has(request.id)) return
    const card = approvalCard(request, () => remove(request.id))
    // The request's life on this browser's clock, which may be off from the server's: never shorter
    // than the real one (a request listed when the stream opens is older), and the stream's
    // `resolved` ends it on time.
    const deadline = Date.now() + Date.parse(request.expiresAt) - Date.parse(request.createdAt)
    cards.set(request.id, { card, deadline })
    box.append(card)
    countDown(request.id)
    shown()
    // Only when nothing else has the focus: a request must not take over a form being filled in.
    if (document.activeElement === document.body || document.activeElement === null) card.querySelector('[name=number]').focus()
  }
  // Decided elsewhere, replaced or expired: the card goes, unless it shows this page's own decision.
  const resolved = (id) => {
    const card = cards.get(id)?.card
    if (card && !card.dataset.outcome && !card.hasAttribute('data-deciding')) remove(id)
  }
  const sync = (list) => {
    const open = new Set(list.map((r) => r.id))
    for (const id of [...cards.keys()]) if (!open.has(id)) resolved(id)
    for (const request of list) add(request)
  }
  setInterval(() => { for (const id of [...cards.keys()]) countDown(id) }, 1000)

  let polling = null
  function poll () {
    if (polling) return
    const once = () => api('GET', '/mfa/approvals').then(sync, (err) => {
      // Signed out, or no longer allowed to approve: nothing more to show.
      if ([401, 403].includes(err.body?.statusCode)) { clearInterval(polling); for (const id of [...cards.keys()]) resolved(id) }
    })
    once()
    polling = setInterval(once, 5000)
  }
  if (typeof EventSource !== 'function') return poll()
  const stream = new EventSource('/mfa/approvals/stream')
  let opened = 0
  stream.addEventListener('approval', (e) => add(JSON.parse(e.data)))
  stream.addEventListener('resolved', (e) => resolved(JSON.parse(e.data).id))
  // After a reconnection the stream tells of the open requests again; the list also drops those that ended meanwhile.
  stream.addEventListener('open', () => { if (opened++ > 0) api('GET', '/mfa/approvals').then(sync, () => {}) })
  // Closed for good (an error answer, not a dropped connection, which EventSource retries by itself).
  stream.addEventListener('error', () => { if (stream.readyState === EventSource.CLOSED) poll() })
}
const approvalsBox = $('#approvals')
if (approvalsBox) watchApprovals(approvalsBox)

// A message the previous page left (the passkey saved at sign-in): shown once, at the top.
try {
  const message = sessionStorage.getItem(FLASH_KEY)
  if (message) {
    sessionStorage.removeItem(FLASH_KEY)
    const p = document.createElement('p'); p.className = 'nudge'; p.id = 'flash'; p.setAttribute('role', 'status'); p.textContent = message
    $('main').prepend(p)
  }
} catch {}
