import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createBackupCodes, FACTOR_ID } from './backupCodes.js'
import { backupCodeFactor } from './factor.js'
import { resolveOptions, type BackupCodesOptions } from './options.js'
import { registerBackupCodeRoutes } from './routes.js'
import './types.js'

async function fastifyMfaBackupCodes (fastify: FastifyInstance, options: BackupCodesOptions): Promise<void> {
  const opts = resolveOptions(options, fastify)
  const backupCodes = createBackupCodes(fastify.mfa, opts)
  fastify.mfa.factors.register(backupCodeFactor(backupCodes))
  fastify.mfa.recoveryCodes = {
    issueIfNone: backupCodes.issueIfNone,
    // Core calls this when the user's last primary factor goes: codes must not outlive it (SPEC §8).
    async remove (userId, request) {
      if (!await backupCodes.remove(userId)) return
      await fastify.mfa.emit('backup_codes.removed', { userId, method: FACTOR_ID, request, details: { reason: 'no_primary_factor' } })
    }
  }
  fastify.mfa.backupCodes = backupCodes
  fastify.mfa.addSummary('backupCodes', async (userId) => ({ remaining: (await backupCodes.status(userId)).remaining }))
  fastify.addHook('onReady', backupCodes.warmUp)
  await registerBackupCodeRoutes(fastify, backupCodes, opts.prefix)
}

export const mfaBackupCodes = fp(fastifyMfaBackupCodes, {
  fastify: '5.x',
  name: '@fastify-mfa/backup-codes',
  dependencies: ['@fastify-mfa/core']
})
export default mfaBackupCodes

export type { BackupCodesOptions } from './options.js'
export type { BackupCodes, BackupCodeStatus } from './backupCodes.js'
export { errors } from './errors.js'
export { normalizeBackupCode } from './normalizeBackupCode.js'
export { generateBackupCode, generateBackupCodes } from './generateBackupCodes.js'
export {
  BACKUP_CODE_ALPHABET, BACKUP_CODE_LENGTH, BACKUP_CODE_HINT_LENGTH, BACKUP_CODE_ENTROPY_BITS,
  BACKUP_CODE_SECRET_BITS, BACKUP_CODE_MAX_INPUT, backupCodeSchema, formatBackupCode
} from './codeFormat.js'
