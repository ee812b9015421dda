import createError, { type FastifyErrorConstructor } from '@fastify/error'
import { errors as core } from '@fastify-mfa/core'

/**
 * The error codes the sent-codes routes and factors answer with: two of this package, and the
 * shared codes of @fastify-mfa/core, so a client handles `FST_MFA_INVALID_CODE` alike for every factor.
 */
export const errors = {
  FST_MFA_NO_ADDRESS: createError('FST_MFA_NO_ADDRESS', 'The account has no email address to send a code to', 400),
  FST_MFA_INVALID_PHONE: createError('FST_MFA_INVALID_PHONE', 'The phone number is not a valid number in E.164 form (+14155550123)', 400),
  FST_MFA_UNAUTHENTICATED: core.FST_MFA_UNAUTHENTICATED,
  FST_MFA_STEP_UP_REQUIRED: core.FST_MFA_STEP_UP_REQUIRED,
  FST_MFA_INVALID_CODE: core.FST_MFA_INVALID_CODE,
  FST_MFA_SETUP_EXPIRED: core.FST_MFA_SETUP_EXPIRED,
  FST_MFA_NOT_ENROLLED: core.FST_MFA_NOT_ENROLLED,
  FST_MFA_RATE_LIMITED: core.FST_MFA_RATE_LIMITED,
  FST_MFA_DELIVERY_FAILED: core.FST_MFA_DELIVERY_FAILED
} satisfies Record<string, FastifyErrorConstructor>
