import type { MfaFactor } from '@fastify-mfa/core/plugin-kit'
import { FACTOR_ID, type BackupCodes } from './backupCodes.js'

/** The `backup-code` factor: a recovery factor, offered only next to a primary one (AMR `rec`). */
export function backupCodeFactor (backupCodes: BackupCodes): MfaFactor {
  return {
    id: FACTOR_ID,
    amr: 'rec',
    kind: 'code',
    recovery: true,
    isEnrolled: async (userId) => await backupCodes.hasCodes(userId),
    enrolledUserIds: async () => await backupCodes.enrolledUserIds(),
    verifyCode: async (userId, code, request) => await backupCodes.verify(userId, code, request),
    remove: async (userId) => { await backupCodes.remove(userId) }
  }
}
