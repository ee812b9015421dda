import { optionChecks } from '@fastify-mfa/core/plugin-kit'

/** Which authenticators may be registered, by AAGUID (`'cb69481e-8ff7-4039-93ec-0a2729a154a8'`). */
export interface AuthenticatorPolicy {
  /** Only these AAGUIDs may be registered (an authenticator that sends the all-zero AAGUID is then refused). */
  allow?: string[]
  /** These AAGUIDs may not be registered. */
  deny?: string[]
}

export interface ResolvedAuthenticatorPolicy {
  /** null: any AAGUID not denied. */
  allow: ReadonlySet<string> | null
  deny: ReadonlySet<string>
}

const { fail } = optionChecks('@fastify-mfa/webauthn')

// An AAGUID as @simplewebauthn/server writes it: a UUID in lowercase hex with dashes.
const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const isAaguid = (value: unknown): value is string => typeof value === 'string' && AAGUID.test(value.toLowerCase())

function aaguidList (name: string, value: unknown): Set<string> {
  if (!Array.isArray(value) || !value.every(isAaguid)) {
    fail(`option "aaguids.${name}" must be an array of AAGUIDs such as "cb69481e-8ff7-4039-93ec-0a2729a154a8"`)
  }
  return new Set((value as string[]).map((a) => a.toLowerCase()))
}

/** The `aaguids` option, checked and with its AAGUIDs in lowercase. */
export function resolveAuthenticatorPolicy (aaguids: unknown): ResolvedAuthenticatorPolicy {
  if (typeof aaguids !== 'object' || aaguids === null || Array.isArray(aaguids)) fail('option "aaguids" must be an object { allow?, deny? }')
  const { allow, deny, ...rest } = aaguids as AuthenticatorPolicy
  if (Object.keys(rest).length > 0) fail(`option "aaguids" has unknown keys: ${Object.keys(rest).join(', ')} (use allow and deny)`)
  return { allow: allow === undefined ? null : aaguidList('allow', allow), deny: deny === undefined ? new Set() : aaguidList('deny', deny) }
}

/** The `authenticatorNames` option, checked and keyed by lowercase AAGUID. */
export function resolveAuthenticatorNames (names: unknown): Record<string, string> {
  const entries = typeof names === 'object' && names !== null && !Array.isArray(names) ? Object.entries(names) : null
  if (!entries || !entries.every(([aaguid, name]) => isAaguid(aaguid) && typeof name === 'string' && name.length > 0 && name.length <= 64)) {
    fail('option "authenticatorNames" must map AAGUIDs to names of 1 to 64 characters')
  }
  return Object.fromEntries(entries!.map(([aaguid, name]) => [aaguid.toLowerCase(), name]))
}

/** Whether an authenticator of `aaguid` may be registered: not denied, and allowed when there is an allow list. */
export function authenticatorAllowed (aaguid: string, policy: ResolvedAuthenticatorPolicy): boolean {
  const id = aaguid.toLowerCase()
  return !policy.deny.has(id) && (policy.allow === null || policy.allow.has(id))
}
