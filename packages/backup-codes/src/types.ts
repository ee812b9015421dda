import type { BackupCodes } from './backupCodes.js'

declare module '@fastify-mfa/core' {
  interface MfaApi {
    /** Present when @fastify-mfa/backup-codes is registered: status, regenerate, verify, remove. */
    backupCodes?: BackupCodes
  }
}
