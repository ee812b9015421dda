import {
  generateRegistrationOptions, verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON, type VerifiedRegistrationResponse
} from '@simplewebauthn/server'
import type { FastifyRequest } from 'fastify'
import type { WebAuthnContext } from './context.js'
import { errors } from './errors.js'
import { readClientChallenge } from './readClientChallenge.js'
import type { CredentialDocument } from './store.js'
import { userHandleOf } from './userHandle.js'

/** Options for `navigator.credentials.create()`, with the user's credentials excluded. The challenge is bound to `binding` (the session). */
export async function registrationOptions (ctx: WebAuthnContext, request: FastifyRequest, userId: string, binding: string,
  name?: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { opts } = ctx
  const [handle, existing, userName] = await Promise.all([
    userHandleOf(ctx.mfa.users, userId),
    ctx.credentials.listByUser(userId),
    opts.userName(request, userId)
  ])
  const options = await generateRegistrationOptions({
    rpName: opts.rpName,
    rpID: opts.rpID,
    userID: Buffer.from(handle, 'base64url'),
    userName,
    userDisplayName: opts.userDisplayName ? await opts.userDisplayName(request, userId) : userName,
    timeout: opts.timeout,
    attestationType: opts.attestationType,
    excludeCredentials: existing.map((c) => ({ id: c._id, transports: c.transports })),
    authenticatorSelection: {
      residentKey: opts.residentKey,
      requireResidentKey: opts.residentKey === 'required',
      userVerification: opts.userVerification
    }
  })
  await ctx.challenges.issue(options.challenge, { purpose: 'register', binding, userId }, { name })
  return options
}

const defaultName = (deviceType: string): string => deviceType === 'multiDevice' ? 'Passkey' : 'Security key'

// AuthenticatorTransport values (WebAuthn §5.8.4); the list comes from the client, so unknown ones are dropped.
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

/**
 * Checks a registration response against the challenge issued to `binding` for `userId` and
 * returns the credential to store. Throws `FST_MFA_WEBAUTHN_VERIFICATION_FAILED` (400) or
 * `FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED` (400).
 */
export async function verifyRegistration (ctx: WebAuthnContext, request: FastifyRequest, userId: string, binding: string,
  response: unknown, name?: string): Promise<CredentialDocument> {
  const challenge = readClientChallenge(response)
  if (challenge === null) throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  const spent = await ctx.challenges.consume(challenge, { purpose: 'register', binding, userId })
  if (!spent.ok) {
    throw spent.reason === 'expired' ? new errors.FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED() : new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  }
  let verified: VerifiedRegistrationResponse
  try {
    verified = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: ctx.opts.origins,
      expectedRPID: ctx.opts.rpID,
      requireUserVerification: ctx.opts.userVerification === 'required'
    })
  } catch (err) {
    request.log.info({ reason: (err as Error).message }, 'fastify-mfa: WebAuthn registration refused')
    throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  }
  if (!verified.verified) throw new errors.FST_MFA_WEBAUTHN_VERIFICATION_FAILED()
  const info = verified.registrationInfo
  const now = new Date(ctx.mfa.now())
  return {
    _id: info.credential.id,
    userId,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: [...new Set(info.credential.transports ?? [])].filter((t) => TRANSPORTS.has(t)),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: name ?? spent.challenge.name ?? defaultName(info.credentialDeviceType),
    createdAt: now,
    lastUsedAt: null
  }
}
