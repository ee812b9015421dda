import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import { randomToken, type SendResult } from '@fastify-mfa/core/plugin-kit'
import type { Channel } from './channels.js'
import { errors } from './errors.js'
import { generateSentCode } from './generateSentCode.js'
import { hashSentCode, sentCodeMatches } from './hashSentCode.js'
import type { SendLimiter } from './limits.js'
import { maskAddress } from './maskAddress.js'
import { addressContext, codeKey, type SentCodeStore } from './store.js'
import type { CodeDocument, CodePurpose, ResolvedSentCodesOptions, SentCodeMethod } from './types.js'

export interface IssueInput {
  userId: string
  purpose: CodePurpose
  binding: string
  /** Where the code goes (decrypted): the enrolled address, or the one a setup proves. */
  address: string
  request?: FastifyRequest
}

export interface CheckInput {
  method: SentCodeMethod
  userId: string
  purpose: CodePurpose
  binding: string
  /** Already normalised to 6 digits. */
  code: string
  request?: FastifyRequest
}

export type CheckOutcome =
  | { outcome: 'ok', code: CodeDocument }
  | { outcome: 'invalid', attemptsLeft: number }
  | { outcome: 'replay' | 'expired' }

/** The error's code or name only: a provider's error message may quote the text, and with it the code. */
const failureOf = (err: unknown): string =>
  String((err as { code?: unknown })?.code ?? (err as { responseCode?: unknown })?.responseCode ?? (err as Error)?.name ?? 'unknown')

/**
 * Sending and checking codes, the same for every channel. A code is 6 digits from the CSPRNG, stored
 * only hashed, valid `codeTtl`, and bound to one login, step-up or setup (`purpose` + `binding`).
 */
export function createCodes (mfa: MfaApi, store: SentCodeStore, limits: SendLimiter, opts: ResolvedSentCodesOptions, log: FastifyBaseLogger) {
  async function issue (channel: Channel, { userId, purpose, binding, address, request }: IssueInput): Promise<SendResult> {
    const key = codeKey(channel.method, userId, purpose, binding)
    const entry = await limits.enter({ method: channel.method, userId, key, address })
    const now = mfa.now()
    const code = generateSentCode()
    const codeId = randomToken(12)
    const sentTo = maskAddress(address, channel.kind)
    const expiresAt = new Date(now + opts.codeTtl * 1000)
    // Stored before delivery (the code must work the moment it arrives); this replaces the previous
    // code of the binding, which stops working.
    await store.saveCode({
      _id: key,
      userId,
      method: channel.method,
      purpose,
      codeId,
      ...hashSentCode(code),
      sentTo,
      ...(purpose === 'enrol' ? { address: mfa.crypto.encrypt(address, addressContext(channel.method, userId)) } : {}),
      createdAt: new Date(now),
      expiresAt
    })
    try {
      await channel.deliver(address, { code, method: channel.method, purpose, expiresInMinutes: Math.round(opts.codeTtl / 60), appName: opts.appName })
    } catch (err) {
      // No usable code is left behind, and the binding's slot is given back (limits.ts).
      await store.discardCode(key, codeId)
      await limits.deliveryFailed(entry)
      ;(request?.log ?? log).warn({ method: channel.method, failure: failureOf(err) }, 'fastify-mfa: a code could not be delivered')
      await mfa.emit(`${channel.method}.delivery_failed`, { userId, method: channel.method, request, details: { purpose, sentTo, failure: failureOf(err) } })
      throw new errors.FST_MFA_DELIVERY_FAILED()
    }
    await mfa.emit(`${channel.method}.sent`, { userId, method: channel.method, request, details: { purpose, sentTo, expiresAt } })
    return { sentTo, expiresAt, resendAfter: new Date(now + opts.sendLimits.interval * 1000) }
  }

  /**
   * Checks a code against the live one of its binding. An attempt is claimed before the comparison
   * (at most `maxAttempts` per code, then it is spent), and the use after it: of concurrent checks
   * of the right code, on any instance, exactly one is ok.
   */
  async function check ({ method, userId, purpose, binding, code, request }: CheckInput): Promise<CheckOutcome> {
    const live = await store.findCode(codeKey(method, userId, purpose, binding))
    if (live === null || live.userId !== userId) return { outcome: 'expired' }
    const attempt = await store.takeAttempt(live.codeId, userId, opts.maxAttempts, live.expiresAt)
    if (attempt === null) {
      await store.discardCode(live._id, live.codeId)
      return { outcome: 'expired' }
    }
    if (!sentCodeMatches(code, live)) {
      const attemptsLeft = opts.maxAttempts - attempt
      if (attemptsLeft === 0) await store.discardCode(live._id, live.codeId)
      return { outcome: 'invalid', attemptsLeft }
    }
    if (!await store.claimUse(live.codeId, userId, live.expiresAt)) {
      await mfa.emit(`${method}.replay`, { userId, method, request, details: { purpose } })
      return { outcome: 'replay' }
    }
    await store.discardCode(live._id, live.codeId)
    return { outcome: 'ok', code: live }
  }

  return { issue, check }
}

export type Codes = ReturnType<typeof createCodes>
