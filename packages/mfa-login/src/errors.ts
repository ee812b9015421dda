import createError from '@fastify/error'
import { errors as coreErrors } from '@fastify-mfa/core'

export const errors = {
  FST_MFA_INVALID_CREDENTIALS: createError('FST_MFA_INVALID_CREDENTIALS', 'The login or password is not correct', 401),
  FST_MFA_LOCKED: createError('FST_MFA_LOCKED', 'Too many wrong codes; second-factor checks are locked for a while', 423),
  FST_MFA_LOGIN_EXPIRED: createError('FST_MFA_LOGIN_EXPIRED', 'The login has expired or was already used; sign in again', 400),
  FST_MFA_METHOD_NOT_ALLOWED: createError('FST_MFA_METHOD_NOT_ALLOWED', 'This method cannot be used here', 403),
  FST_MFA_USER_VERIFICATION_REQUIRED: createError('FST_MFA_USER_VERIFICATION_REQUIRED',
    'The security key or passkey did not verify you (PIN, fingerprint or screen lock); sign in with your password instead', 401),
  FST_MFA_RATE_LIMITED: coreErrors.FST_MFA_RATE_LIMITED,
  FST_MFA_CODES_BLOCKED: createError('FST_MFA_CODES_BLOCKED',
    'Too many wrong codes in a row: codes are no longer accepted for this account. Use a security key or passkey, or contact support', 423)
}
