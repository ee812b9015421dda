// Events other packages declare, and the test's own: core's tests emit them without those packages.
import '../src/eventMap.js'

declare module '../src/eventMap.js' {
  interface MfaEventMap {
    'test.action': Record<string, unknown>
    something: Record<string, unknown>
    'totp.enabled': Record<string, unknown>
    'login.success': Record<string, unknown>
    'login.locked': Record<string, unknown>
    'mfa.code_accepted': Record<string, unknown>
    'recovery.admin_reset': { actor: string, reason: string }
    'device_cookie.issued': Record<string, unknown>
    'backup_codes.low': { remaining: number }
  }
}
