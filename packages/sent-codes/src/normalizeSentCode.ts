import { SENT_CODE_DIGITS } from './generateSentCode.js'

/** Codes are read off a phone or a mail and typed with spaces: `123 456`. Null when not 6 digits. */
export function normalizeSentCode (input: unknown): string | null {
  if (typeof input !== 'string') return null
  const code = input.replace(/\s+/g, '')
  return code.length === SENT_CODE_DIGITS && /^[0-9]+$/.test(code) ? code : null
}

/** The route schema pattern: 6 digits, spaces allowed anywhere. */
export const sentCodePattern = `^ *(?:[0-9] *){${SENT_CODE_DIGITS}}$`
