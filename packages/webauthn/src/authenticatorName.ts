import { createRequire } from 'node:module'

// Display names of passkey providers and security keys by AAGUID, from the maintained `aaguids`
// package (github.com/darthmaim/aaguids, MIT): { "<aaguid>": "<name>" }, CommonJS JSON, loaded once.
const knownAuthenticators = createRequire(import.meta.url)('aaguids') as Record<string, string>

// The all-zero AAGUID says nothing: U2F keys, and browsers that hide the model (attestation 'none').
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000'

/**
 * The display name of an authenticator model ("iCloud Keychain", "YubiKey 5 Series") from its
 * AAGUID, the host's own names first; null when it is unknown. The AAGUID is the authenticator's
 * claim: a name to show the user, not a proof of the model (that takes verified attestation).
 */
export function authenticatorNameOf (aaguid: string, hostNames: Readonly<Record<string, string>> = {}): string | null {
  const id = aaguid.toLowerCase()
  if (id === ZERO_AAGUID) return null
  return (Object.hasOwn(hostNames, id) ? hostNames[id] : undefined) ??
    (Object.hasOwn(knownAuthenticators, id) ? knownAuthenticators[id] : undefined) ?? null
}
