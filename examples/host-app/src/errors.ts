import createError from '@fastify/error'

/** The example app's own error codes (the plugins' are `FST_MFA_*`). Fastify's error shape, stable codes. */
export const errors = {
  APP_EMAIL_TAKEN: createError('APP_EMAIL_TAKEN', 'An account with this email exists; sign in instead', 409),
  APP_RATE_LIMITED: createError('APP_RATE_LIMITED', 'Too many sign-ups from this address; try again in a minute', 429),
  APP_ORIGIN_REFUSED: createError('APP_ORIGIN_REFUSED', 'This request did not come from this app\'s pages', 403),
  APP_UNSUPPORTED_MEDIA_TYPE: createError('APP_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415),
  APP_WRONG_PASSWORD: createError('APP_WRONG_PASSWORD', 'The current password is not right', 401),
  APP_ADMIN_ONLY: createError('APP_ADMIN_ONLY', 'Only administrators can do this', 403),
  APP_USER_NOT_FOUND: createError('APP_USER_NOT_FOUND', 'No account has this email', 404),
  APP_VERIFICATION_CODE_INVALID: createError('APP_VERIFICATION_CODE_INVALID', 'That verification code is not right', 400),
  APP_VERIFICATION_EXPIRED: createError('APP_VERIFICATION_EXPIRED', 'The verification code has expired or was tried too often; send a new one', 400),
  APP_ALREADY_VERIFIED: createError('APP_ALREADY_VERIFIED', 'This email address is verified already', 409),
  APP_VERIFICATION_RATE_LIMITED: createError('APP_VERIFICATION_RATE_LIMITED', 'A verification code was sent a moment ago; wait before asking for another', 429),
  // The app's one 5xx of its own: the mail server refused or could not be reached.
  APP_DELIVERY_FAILED: createError('APP_DELIVERY_FAILED', 'The mail could not be sent; try again later', 502)
}
