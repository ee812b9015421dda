/**
 * The challenge a WebAuthn response answers, read from its `clientDataJSON` (base64url JSON), so the
 * stored challenge can be spent before anything else is checked. Null when the response is malformed;
 * the signature check that follows covers the rest.
 */
export function readClientChallenge (response: unknown): string | null {
  const clientDataJSON = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 16_384) return null
  try {
    const clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }
    const challenge = clientData?.challenge
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,512}$/.test(challenge) ? challenge : null
  } catch {
    return null
  }
}
