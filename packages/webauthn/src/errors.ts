import createError, { type FastifyErrorConstructor } from '@fastify/error'

/** Codes of @fastify-mfa/webauthn (the shared ones, e.g. `FST_MFA_NOT_FOUND`, are in @fastify-mfa/core). */
export const errors = {
  FST_MFA_WEBAUTHN_VERIFICATION_FAILED: createError('FST_MFA_WEBAUTHN_VERIFICATION_FAILED',
    'The security key response could not be verified', 400),
  FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED: createError('FST_MFA_WEBAUTHN_CHALLENGE_EXPIRED',
    'The security key request has expired; start again', 400),
  FST_MFA_CREDENTIAL_EXISTS: createError('FST_MFA_CREDENTIAL_EXISTS',
    'This security key or passkey is already registered', 409)
} satisfies Record<string, FastifyErrorConstructor>
