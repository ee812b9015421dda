import { errors as core } from '@fastify-mfa/core/plugin-kit'

/**
 * The codes the device-approval routes and factor answer with: all shared codes of
 * @fastify-mfa/core (mfa-login answers `FST_MFA_APPROVAL_DENIED` on the sign-in side).
 */
export const errors = {
  FST_MFA_UNAUTHENTICATED: core.FST_MFA_UNAUTHENTICATED,
  FST_MFA_REQUIRED: core.FST_MFA_REQUIRED,
  FST_MFA_ENROLLMENT_REQUIRED: core.FST_MFA_ENROLLMENT_REQUIRED,
  FST_MFA_NOT_FOUND: core.FST_MFA_NOT_FOUND,
  FST_MFA_NOT_ENROLLED: core.FST_MFA_NOT_ENROLLED,
  FST_MFA_RATE_LIMITED: core.FST_MFA_RATE_LIMITED,
  FST_MFA_APPROVAL_DENIED: core.FST_MFA_APPROVAL_DENIED
}
