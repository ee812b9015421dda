// Events other packages declare (mfa-login, backup-codes): these tests emit them without those packages.
import '@fastify-mfa/core'

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'recovery.admin_reset': { actor: string, reason: string }
    'device_cookie.issued': { deviceId: string }
    'backup_codes.low': { remaining: number }
    'backup_codes.regenerated': { count: number }
    'login.locked': { seconds: number }
  }
}
