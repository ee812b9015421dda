import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** E.164 as the route accepts it: `+`, a country code, at most 15 digits in all (ITU-T E.164 §6). */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$'

/**
 * The number in E.164 form when it is a valid number of its country (libphonenumber's full
 * metadata: length and number ranges), else null.
 */
export function normalizePhone (input: string): string | null {
  if (!new RegExp(E164_PATTERN).test(input)) return null
  const phone = parsePhoneNumberFromString(input)
  return phone?.isValid() === true ? phone.number : null
}
