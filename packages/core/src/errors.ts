import createError, { type FastifyErrorConstructor } from '@fastify/error'

/** Codes shared by every fastify-mfa package. Each package adds its own in its `errors.ts`. */
export const errors = {
  FST_MFA_UNAUTHENTICATED: createError('FST_MFA_UNAUTHENTICATED', 'Sign in first', 401),
  FST_MFA_REQUIRED: createError('FST_MFA_REQUIRED', 'A second factor is required', 403),
  FST_MFA_STEP_UP_REQUIRED: createError('FST_MFA_STEP_UP_REQUIRED', 'Verify a second factor again to continue', 403),
  FST_MFA_ENROLLMENT_REQUIRED: createError('FST_MFA_ENROLLMENT_REQUIRED', 'Set up a second factor to continue', 403),
  FST_MFA_INVALID_CODE: createError('FST_MFA_INVALID_CODE', 'The code is not valid', 401),
  FST_MFA_SETUP_EXPIRED: createError('FST_MFA_SETUP_EXPIRED', 'The setup has expired; start again', 400),
  FST_MFA_NOT_ENROLLED: createError('FST_MFA_NOT_ENROLLED', 'This factor is not set up for the account', 400),
  FST_MFA_NOT_FOUND: createError('FST_MFA_NOT_FOUND', 'Not found', 404),
  FST_MFA_SECRET_DECRYPTION: createError('FST_MFA_SECRET_DECRYPTION', 'A stored secret could not be decrypted', 500),
  FST_MFA_ORIGIN_REFUSED: createError('FST_MFA_ORIGIN_REFUSED', 'This request came from a page of another site', 403),
  FST_MFA_UNSUPPORTED_MEDIA_TYPE: createError('FST_MFA_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415),
  FST_MFA_RATE_LIMITED: createError('FST_MFA_RATE_LIMITED', 'Too many requests; try again later', 429),
  FST_MFA_DELIVERY_FAILED: createError('FST_MFA_DELIVERY_FAILED', 'The code could not be sent; try again later', 502),
  FST_MFA_APPROVAL_DENIED: createError('FST_MFA_APPROVAL_DENIED', 'The sign-in was denied on your other device', 401)
} satisfies Record<string, FastifyErrorConstructor>

export const SecretDecryptionError = errors.FST_MFA_SECRET_DECRYPTION

/** Extra fields an error carries into its JSON body (`attemptsLeft`, `retryAfter`, `methods`). */
export interface ErrorDetails { [field: string]: unknown }

export interface MfaErrorBody extends ErrorDetails {
  statusCode: number
  code: string
  error: string
  message: string
}

const detailsKey = Symbol('fastify-mfa.errorDetails')

/** Returns the error with `details` attached; they are sent next to Fastify's standard fields. */
export function withDetails<E extends Error> (err: E, details: ErrorDetails): E {
  Object.defineProperty(err, detailsKey, { value: details, enumerable: false })
  return err
}

export function errorDetails (err: unknown): ErrorDetails {
  return (err as Record<symbol, ErrorDetails> | null)?.[detailsKey] ?? {}
}
