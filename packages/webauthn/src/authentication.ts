import { errors as coreErrors } from '@fastify-mfa/core'
import type { CeremonyContext, FactorResult } from '@fastify-mfa/core/plugin-kit'
import {
  generateAuthenticationOptions, verifyAuthenticationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON, type VerifiedAuthenticationResponse
} from '@simplewebauthn/server'
import { assuranceOf } from './assurance.js'
import type { WebAuthnContext } from './context.js'
import { readClientChallenge } from './readClientChallenge.js'
import { backupEligibleOf } from './credentials.js'
import type { CredentialDocument } from './store.js'

/**
 * Options for `navigator.credentials.get()`. With a user (second factor, step-up) they list that
 * user's credentials; for a passkey sign-in (`userId` null) they list none, so the browser offers
 * the discoverable credentials it has for the RP, and they require user verification. The challenge
 * is bound to `ceremony.binding`.
 */
export async function authenticationOptions (ctx: WebAuthnContext, userId: string | null,
  ceremony: CeremonyContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if ((ceremony.purpose === 'passkey') !== (userId === null)) {
    throw new TypeError('@fastify-mfa/webauthn: a passkey ceremony has no user id, the others need one')
  }
  let allowCredentials: Array<{ id: string, transports: string[] }> | undefined
  if (userId !== null) {
    const credentials = await ctx.credentials.listByUser(userId)
    if (credentials.length === 0) throw new coreErrors.FST_MFA_NOT_ENROLLED()
    allowCredentials = credentials.map((c) => ({ id: c._id, transports: c.transports }))
  }
  const options = await generateAuthenticationOptions({
    rpID: ctx.opts.rpID,
    timeout: ctx.opts.timeout,
    // A passkey is the only factor of its sign-in: ask the authenticator to verify the user.
    userVerification: ceremony.purpose === 'passkey' ? 'required' : ctx.opts.userVerification,
    ...(allowCredentials ? { allowCredentials } : {})
  })
  await ctx.challenges.issue(options.challenge, { purpose: ceremony.purpose, binding: ceremony.binding, userId })
  return options
}

const refused = (reason: 'invalid' | 'expired' | 'clone_suspected'): FactorResult => ({ ok: false, reason })

/** The credential the response names, when it may be used in this ceremony. */
async function credentialFor (ctx: WebAuthnContext, userId: string | null, response: AuthenticationResponseJSON): Promise<CredentialDocument | null> {
  const credential = typeof response.id === 'string' ? await ctx.credentials.get(response.id) : null
  if (!credential) return null
  // Second factor and step-up: only the user's own credentials count.
  if (userId !== null && credential.userId !== userId) return null
  const userHandle = response.response.userHandle
  if (userHandle === undefined || userHandle === null || userHandle === '') {
    // A discoverable credential always returns its user handle (WebAuthn §7.2 step 6).
    return userId === null ? null : credential
  }
  const owner = typeof userHandle === 'string' ? await ctx.mfa.users.findByField('webauthnUserHandle', userHandle) : null
  return owner?._id === credential.userId ? credential : null
}

/**
 * The WebAuthn Signal API's `unknownCredential` for a passkey sign-in whose response names a credential
 * id: `{ rpId, credentialId }` when that id is registered to nobody, so the page can tell the browser
 * (`PublicKeyCredential.signalUnknownCredential`) to drop the passkey from its picker. Null for a
 * credential any user has (never signal another user's passkey away) and for a malformed response.
 */
export async function unknownCredentialSignal (ctx: WebAuthnContext, response: unknown): Promise<{ rpId: string, credentialId: string } | null> {
  const id = (response as { id?: unknown } | null)?.id
  if (typeof id !== 'string' || !CREDENTIAL_ID.test(id)) return null
  return await ctx.credentials.exists(id) ? null : { rpId: ctx.opts.rpID, credentialId: id }
}

// As the route schemas accept: base64url, at most 1023 bytes (WebAuthn §5.8.3).
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1364}$/

/**
 * Verifies an assertion for the challenge issued to `ceremony`. The challenge is spent first, so a
 * response is checked at most once. For a passkey sign-in (`userId` null) the user is the owner of
 * the credential, confirmed by the user handle the authenticator returns.
 */
export async function verifyAuthentication (ctx: WebAuthnContext, userId: string | null, response: unknown,
  ceremony: CeremonyContext): Promise<FactorResult> {
  const { request, purpose, binding } = ceremony
  const challenge = readClientChallenge(response)
  if (challenge === null) return refused('invalid')
  const spent = await ctx.challenges.consume(challenge, { purpose, binding, userId })
  if (!spent.ok) return refused(spent.reason)
  const assertion = response as AuthenticationResponseJSON
  const credential = await credentialFor(ctx, userId, assertion)
  if (!credential) {
    // A passkey the browser still offers though it belongs to nobody here: tell the page to signal it.
    const unknownCredential = purpose === 'passkey' ? await unknownCredentialSignal(ctx, response) : null
    return unknownCredential ? { ok: false, reason: 'invalid', details: { signal: { unknownCredential } } } : refused('invalid')
  }

  let verified: VerifiedAuthenticationResponse
  try {
    verified = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge: challenge,
      expectedOrigin: ctx.opts.expectedOrigins,
      expectedRPID: ctx.opts.rpID,
      // The counter rule is applied below, after the signature is known to be good, so that only a
      // genuine assertion is audited as a possible clone.
      credential: { id: credential._id, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: 0, transports: credential.transports },
      requireUserVerification: ctx.opts.userVerification === 'required'
    })
  } catch (err) {
    request.log.info({ reason: (err as Error).message }, 'fastify-mfa: WebAuthn assertion refused')
    return refused('invalid')
  }
  if (!verified.verified) return refused('invalid')
  const info = verified.authenticationInfo
  // WebAuthn §7.2 (Level 3): the BE flag is fixed for a credential's life. A device-bound key that
  // now says it may be synced (or the reverse) is not the authenticator that was registered, and the
  // assurance level (hwk / swk) would be wrong: refuse it.
  if ((info.credentialDeviceType === 'multiDevice') !== backupEligibleOf(credential)) {
    request.log.info({ credentialId: credential._id }, 'fastify-mfa: WebAuthn assertion refused: backup eligibility changed')
    return refused('invalid')
  }

  // WebAuthn §6.1.1: a counter that does not grow, when either value is non-zero, means two
  // copies of the private key may exist. Refuse, keep the stored counter, and audit it. The claim
  // also refuses it against a higher counter accepted at the same time (or not yet stored).
  const counts = info.newCounter > 0 || credential.counter > 0
  if (counts && (info.newCounter <= credential.counter || !await ctx.credentials.claimCounter(credential._id, info.newCounter))) {
    await ctx.mfa.emit('webauthn.clone_suspected', {
      userId: credential.userId,
      method: 'webauthn',
      request,
      details: { credentialId: credential._id, storedCounter: credential.counter, receivedCounter: info.newCounter, purpose }
    })
    return refused('clone_suspected')
  }
  await ctx.credentials.recordUse(credential._id, info.newCounter, info.credentialBackedUp, new Date(ctx.mfa.now()))
  const assurance = assuranceOf({ deviceType: credential.deviceType, userVerified: info.userVerified, purpose, syncedPasskeyAal: ctx.opts.syncedPasskeyAal })
  return { ok: true, userId: credential.userId, ...assurance }
}
