import {
  generateRegistrationOptions, verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON, type VerifiedRegistrationResponse
} from '@simplewebauthn/server'
import type { FastifyRequest } from 'fastify'
import { authenticatorNameOf } from './authenticatorName.js'
import { authenticatorAllowed } from './authenticatorPolicy.js'
import type { WebAuthnContext } from './context.js'
import { errors } from './errors.js'
import { readClientChallenge } from './readClientChallenge.js'
import type { CredentialDocument } from './store.js'
import { userHandleOf } from './userHandle.js'

/**
 * `register`: the management route's ceremony, with the browser's dialog (user presence required).
 * `register-conditional`: the automatic passkey upgrade (conditional create), which the password
 * manager may complete silently, so user presence and verification may be absent.
 */
export type RegistrationPurpose = 'register' | 'register-conditional'

/**
 * Options for `navigator.credentials.create()`, with the user's credentials excluded. The challenge is
 * bound to `binding` (the session), the user and `purpose`.
 */
export async function registrationOptions (ctx: WebAuthnContext, request: FastifyRequest, userId: string, binding: string,
  name?: string, purpose: RegistrationPurpose = 'register'): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { opts } = ctx
  const [handle, existing, userName] = await Promise.all([
    userHandleOf(ctx.mfa.users, userId),
    ctx.credentials.listByUser(userId),
    opts.userName(request, userId)
  ])
  const conditional = purpose === 'register-conditional'
  const options = await generateRegistrationOptions({
    rpName: opts.rpName,
    rpID: opts.rpID,
    userID: Buffer.from(handle, 'base64url'),
    userName,
    userDisplayName: opts.userDisplayName ? await opts.userDisplayName(request, userId) : userName,
    timeout: opts.timeout,
    attestationType: opts.attestationType,
    excludeCredentials: existing.map((c) => ({ id: c._id, transports: c.transports })),
    authenticatorSelection: conditional
      // The upgrade creates a passkey in the password manager the user just signed in with; the
      // browser does not verify the user in a silent creation, so it cannot be required.
      ? { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' }
      : { residentKey: opts.residentKey, requireResidentKey: opts.residentKey === 'required', userVerification: opts.userVerification }
  })
  await ctx.challenges.issue(options.challenge, { purpose, binding, userId }, { name })
  return options
}

/** The credential's name when the user gave none: its authenticator's model, cut to what a rename allows (64 characters). */
function defaultName (ctx: WebAuthnContext, aaguid: string, deviceType: string): string {
  const model = authenticatorNameOf(aaguid, ctx.opts.authenticatorNames)
  if (model !== null) return [...model].slice(0, 64).join('').trim()
  return deviceType === 'multiDevice' ? 'Passkey' : 'Security key'
}

// AuthenticatorTransport values (WebAuthn §5.8.4); the list comes from the client, so unknown ones are dropped.
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

/**
 * Checks a registration response against the challenge issued to `binding` for `userId` and `purpose`
 * and returns the credential to store. Only a `register-conditional` challenge accepts a response
 * without user presence. Throws `FST_MFA_WEBAUTHN_VERIFICATION_FAILED` (400),
 * `FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED` (400) or `FST_MFA_AUTHENTICATOR_NOT_ALLOWED` (400).
 */
export async function verifyRegistration (ctx: WebAuthnContext, request: FastifyRequest, userId: string, binding: string,
  response: unknown, name?: string, purpose: RegistrationPurpose = 'register'): Promise<CredentialDocument> {
  const challenge = readClientChallenge(response)
  if (challenge === null) throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  const spent = await ctx.challenges.consume(challenge, { purpose, binding, userId })
  if (!spent.ok) {
    throw spent.reason === 'expired' ? new errors.FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED() : new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  }
  const conditional = purpose === 'register-conditional'
  let verified: VerifiedRegistrationResponse
  try {
    verified = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: ctx.opts.expectedOrigins,
      expectedRPID: ctx.opts.rpID,
      // WebAuthn Level 3 conditional create: the password manager may create the passkey without a
      // gesture (UP clear). Only the challenge issued for it, right after a two-factor sign-in, may.
      requireUserPresence: !conditional,
      requireUserVerification: !conditional && ctx.opts.userVerification === 'required'
    })
  } catch (err) {
    request.log.info({ reason: (err as Error).message }, 'fastify-mfa: WebAuthn registration refused')
    throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  }
  if (!verified.verified) throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  const info = verified.registrationInfo
  const aaguid = info.aaguid.toLowerCase()
  if (!authenticatorAllowed(aaguid, ctx.opts.aaguids)) {
    await ctx.mfa.emit('webauthn.authenticator_refused', { userId, method: 'webauthn', request, details: { aaguid, purpose } })
    throw new errors.FST_MFA_AUTHENTICATOR_NOT_ALLOWED()
  }
  const now = new Date(ctx.mfa.now())
  return {
    _id: info.credential.id,
    userId,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: [...new Set(info.credential.transports ?? [])].filter((t) => TRANSPORTS.has(t)),
    deviceType: info.credentialDeviceType,
    // @simplewebauthn/server derives the device type from the BE flag alone.
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    aaguid,
    attestationFormat: info.fmt,
    ...(conditional ? { autoRegistered: true } : {}),
    name: name ?? spent.challenge.name ?? defaultName(ctx, aaguid, info.credentialDeviceType),
    createdAt: now,
    lastUsedAt: null
  }
}
