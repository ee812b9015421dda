/** Authenticator apps show codes as `123 456`; users paste them with spaces. Null when not `digits` digits. */
export function normalizeCode (input: unknown, digits: number): string | null {
  if (typeof input !== 'string') return null
  const code = input.replace(/\s+/g, '')
  return code.length === digits && /^[0-9]+$/.test(code) ? code : null
}

/** The route schema pattern: exactly `digits` digits, spaces allowed anywhere. */
export function codePattern (digits: number): string {
  return `^ *(?:[0-9] *){${digits}}$`
}
