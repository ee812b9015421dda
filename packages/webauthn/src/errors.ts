import createError, { type FastifyErrorConstructor } from '@fastify/error'

/** Codes of @fastify-mfa/webauthn (the shared ones, e.g. `FST_MFA_NOT_FOUND`, are in @fastify-mfa/core). */
export const errors = {
  FST_MFA_WEBAUTHN_VERIFICATION_FAILED: createError('FST_MFA_WEBAUTHN_VERIFICATION_FAILED',
    'The security key response could not be verified', 400),
  FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED: createError('FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED',
    'The security key request has expired; start again', 400),
  FST_MFA_CREDENTIAL_EXISTS: createError('FST_MFA_CREDENTIAL_EXISTS',
    'This security key or passkey is already registered', 409),
  FST_MFA_AUTHENTICATOR_NOT_ALLOWED: createError('FST_MFA_AUTHENTICATOR_NOT_ALLOWED',
    'This kind of security key or passkey is not accepted here; use another one', 400),
  FST_MFA_AUTO_UPGRADE_UNAVAILABLE: createError('FST_MFA_AUTO_UPGRADE_UNAVAILABLE',
    'A passkey is created automatically only right after signing in with a password and a second factor', 403)
} satisfies Record<string, FastifyErrorConstructor>
