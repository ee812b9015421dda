import type { FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import type { TotpStore } from './store.js'
import { verifyTotpCode, type TotpParameters } from './totpCode.js'

export type CodeOutcome = 'ok' | 'invalid' | 'replay'

export type CodeChecker = (userId: string, secret: string, secretRef: string, code: string, request?: FastifyRequest) => Promise<CodeOutcome>

/**
 * Verifies a normalised code against a secret and spends its time step: a code is accepted at
 * most once, and never after a newer one (RFC 6238 §5.2), across requests and instances.
 */
export function createCodeChecker (mfa: MfaApi, store: TotpStore, params: TotpParameters & { window: number }): CodeChecker {
  return async function checkCode (userId, secret, secretRef, code, request) {
    const now = mfa.nowSeconds()
    const timeStep = await verifyTotpCode(secret, code, params, now)
    if (timeStep === null) return 'invalid'
    // The oldest step any instance can accept now: the window behind, and one more for clock skew.
    const oldestStep = Math.floor(now / params.period) - params.window - 1
    // A step is kept until no code of it can verify any more (window + a margin).
    const expiresAt = (step: number): Date => new Date((step + params.window + 2) * params.period * 1000)
    if (await store.acceptTimeStep(userId, secretRef, timeStep, oldestStep, expiresAt)) return 'ok'
    await mfa.emit('totp.replay', { userId, method: 'totp', request, details: { timeStep } })
    return 'replay'
  }
}
