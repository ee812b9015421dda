import { errors } from '@fastify-mfa/core'

/**
 * The error codes the TOTP routes answer with. They are the shared codes of @fastify-mfa/core,
 * so a client handles `FST_MFA_INVALID_CODE` the same way for every factor.
 */
export const totpErrors = {
  FST_MFA_UNAUTHENTICATED: errors.FST_MFA_UNAUTHENTICATED,
  FST_MFA_STEP_UP_REQUIRED: errors.FST_MFA_STEP_UP_REQUIRED,
  FST_MFA_INVALID_CODE: errors.FST_MFA_INVALID_CODE,
  FST_MFA_SETUP_EXPIRED: errors.FST_MFA_SETUP_EXPIRED,
  FST_MFA_NOT_ENROLLED: errors.FST_MFA_NOT_ENROLLED
}
