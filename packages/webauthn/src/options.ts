import type { FastifyInstance, FastifyRequest } from 'fastify'
import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import { resolveAuthenticatorNames, resolveAuthenticatorPolicy, type AuthenticatorPolicy, type ResolvedAuthenticatorPolicy } from './authenticatorPolicy.js'

export type ResidentKey = 'discouraged' | 'preferred' | 'required'
export type UserVerification = 'discouraged' | 'preferred' | 'required'
export type AttestationType = 'none' | 'direct' | 'enterprise'
export type { AuthenticatorPolicy }

export interface WebAuthnOptions {
  /** Relying Party ID: the registrable domain credentials are scoped to (`example.org`, `localhost`). */
  rpID: string
  /** Name shown by the browser and the authenticator during registration. */
  rpName: string
  /** Origins the ceremonies may run on (`https://example.org`); several are allowed. */
  origins: string | string[]
  /**
   * Other sites' origins that may use this RP ID (WebAuthn Level 3 related origin requests,
   * `https://example.co.uk`): accepted in ceremonies and served at `GET /.well-known/webauthn`.
   * @default [] // no related origins, no well-known route
   */
  relatedOrigins?: string[]
  /** Attestation conveyance asked for at registration. @default 'none' */
  attestationType?: AttestationType
  /**
   * AAGUID allow and deny lists checked at registration. Without verified attestation (`'direct'`
   * and trust anchors) an AAGUID is the authenticator's own claim: a policy, not a proof.
   * @default {} // every authenticator
   */
  aaguids?: AuthenticatorPolicy
  /**
   * Names by AAGUID that take precedence over the `aaguids` package's list (your organisation's keys).
   * @default {}
   */
  authenticatorNames?: Record<string, string>
  /**
   * The level a synced passkey (backup-eligible, `swk`) proves. NIST SP 800-63B-4 counts syncable
   * authenticators as AAL2 (their key can leave the device); a device-bound key proves AAL3.
   * @default 2
   */
  syncedPasskeyAal?: 2 | 3
  /**
   * Automatic passkey upgrade (conditional create): right after a sign-in with a password and a second
   * factor, the page may ask the password manager to create a passkey without a dialog.
   * `false` removes the `/webauthn/register/conditional/*` routes.
   * @default true
   */
  autoUpgrade?: boolean
  /** How long after the second factor of a password sign-in the automatic upgrade is offered. @default 300 // seconds */
  autoUpgradeWindow?: number
  /** Whether registration asks for a discoverable credential (passkey). @default 'preferred' */
  residentKey?: ResidentKey
  /** User verification (PIN, biometrics) asked for in every ceremony; `'required'` refuses responses without it. @default 'preferred' */
  userVerification?: UserVerification
  /** How long the browser waits for the user. @default 60000 // milliseconds */
  timeout?: number
  /** How long an issued challenge can be answered. @default 300 // seconds */
  challengeTtl?: number
  /** Prefix of the management routes. @default fastify.mfa.options.prefix ('/mfa') */
  prefix?: string
  /** The account name shown by authenticators at registration. @default the user id */
  userName?: (request: FastifyRequest, userId: string) => string | Promise<string>
  /** The display name shown by authenticators at registration. @default the user name */
  userDisplayName?: (request: FastifyRequest, userId: string) => string | Promise<string>
  /** Collection names, before the core `collectionPrefix`. @default { credentials: 'webauthn_credentials', challenges: 'webauthn_challenges' } */
  collections?: { credentials?: string, challenges?: string }
}

export interface ResolvedWebAuthnOptions {
  rpID: string
  rpName: string
  origins: string[]
  relatedOrigins: string[]
  /** `origins` and `relatedOrigins`: what a ceremony's `clientDataJSON.origin` may be. */
  expectedOrigins: string[]
  attestationType: AttestationType
  aaguids: ResolvedAuthenticatorPolicy
  authenticatorNames: Record<string, string>
  syncedPasskeyAal: 2 | 3
  autoUpgrade: boolean
  autoUpgradeWindow: number
  residentKey: ResidentKey
  userVerification: UserVerification
  timeout: number
  challengeTtl: number
  prefix: string
  userName: (request: FastifyRequest, userId: string) => string | Promise<string>
  userDisplayName: ((request: FastifyRequest, userId: string) => string | Promise<string>) | null
  collections: { credentials: string, challenges: string }
}

const { fail, wholeNumber } = optionChecks('@fastify-mfa/webauthn')

const oneOf = <T>(name: string, value: T, allowed: readonly T[]): T => {
  if (!allowed.includes(value)) fail(`option "${name}" must be one of ${allowed.map((v) => typeof v === 'string' ? `'${v}'` : String(v)).join(', ')}`)
  return value
}

// An origin is scheme://host[:port] with nothing after it (WebAuthn compares them as strings).
const ORIGIN = /^https?:\/\/[^/?#\s]+$/
const RP_ID = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i
const COLLECTION_NAME = /^[A-Za-z0-9_]{1,64}$/

const isOriginList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((o) => typeof o === 'string' && ORIGIN.test(o))

export function resolveOptions (options: Partial<WebAuthnOptions>, fastify: FastifyInstance): ResolvedWebAuthnOptions {
  const {
    rpID, rpName, origins, relatedOrigins = [], attestationType = 'none', aaguids = {}, authenticatorNames = {}, syncedPasskeyAal = 2,
    autoUpgrade = true, autoUpgradeWindow = 300, residentKey = 'preferred', userVerification = 'preferred',
    timeout = 60_000, challengeTtl = 300, prefix = fastify.mfa.options.prefix, userName, userDisplayName, collections = {}
  } = options
  if (typeof rpID !== 'string' || !RP_ID.test(rpID)) fail('option "rpID" must be a domain name such as "example.org" (no scheme or port)')
  if (typeof rpName !== 'string' || rpName.length === 0) fail('option "rpName" must be a non-empty string')
  const originList = typeof origins === 'string' ? [origins] : origins
  if (!isOriginList(originList) || originList.length === 0) {
    fail('option "origins" must be an origin such as "https://example.org" or a non-empty array of them')
  }
  if (!isOriginList(relatedOrigins)) fail('option "relatedOrigins" must be an array of origins such as "https://example.co.uk"')
  if (typeof autoUpgrade !== 'boolean') fail('option "autoUpgrade" must be true or false')
  if (!wholeNumber(autoUpgradeWindow, 1, 3600)) fail('option "autoUpgradeWindow" must be a whole number of seconds from 1 to 3600')
  if (!wholeNumber(timeout, 1000)) fail('option "timeout" must be a whole number of milliseconds, at least 1000')
  if (!wholeNumber(challengeTtl, 1, 3600)) fail('option "challengeTtl" must be a whole number of seconds from 1 to 3600')
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) fail('option "prefix" must be a path starting with "/"')
  if (userName !== undefined && typeof userName !== 'function') fail('option "userName" must be a function (request, userId) => string')
  if (userDisplayName !== undefined && typeof userDisplayName !== 'function') fail('option "userDisplayName" must be a function (request, userId) => string')
  if (typeof collections !== 'object' || collections === null) fail('option "collections" must be an object')
  const names = { credentials: collections.credentials ?? 'webauthn_credentials', challenges: collections.challenges ?? 'webauthn_challenges' }
  if (!COLLECTION_NAME.test(names.credentials) || !COLLECTION_NAME.test(names.challenges) || names.credentials === names.challenges) {
    fail('option "collections" needs two different names of letters, digits and underscores')
  }
  const related = [...new Set(relatedOrigins)]
  return {
    rpID: rpID!,
    rpName: rpName!,
    origins: [...originList!],
    relatedOrigins: related,
    expectedOrigins: [...new Set([...originList!, ...related])],
    attestationType: oneOf('attestationType', attestationType, ['none', 'direct', 'enterprise'] as const),
    aaguids: resolveAuthenticatorPolicy(aaguids),
    authenticatorNames: resolveAuthenticatorNames(authenticatorNames),
    syncedPasskeyAal: oneOf('syncedPasskeyAal', syncedPasskeyAal, [2, 3] as const),
    autoUpgrade,
    autoUpgradeWindow,
    residentKey: oneOf('residentKey', residentKey, ['discouraged', 'preferred', 'required'] as const),
    userVerification: oneOf('userVerification', userVerification, ['discouraged', 'preferred', 'required'] as const),
    timeout,
    challengeTtl,
    prefix,
    userName: userName ?? ((_request, userId) => userId),
    userDisplayName: userDisplayName ?? null,
    collections: names
  }
}
