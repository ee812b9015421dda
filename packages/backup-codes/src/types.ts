import type {} from '@fastify-mfa/core'
import type { BackupCodes } from './backupCodes.js'

declare module '@fastify-mfa/core' {
  interface MfaApi {
    /** Present when @fastify-mfa/backup-codes is registered: status, regenerate, verify, remove. */
    backupCodes?: BackupCodes
  }
}

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'backup_codes.created': { count: number }
    'backup_codes.regenerated': { count: number }
    'backup_codes.used': { remaining: number }
    'backup_codes.low': { remaining: number }
    'backup_codes.removed': { reason: string }
  }
}
