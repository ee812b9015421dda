import { generate, generateSecret, generateURI, verify } from 'otplib'
import type { TotpAlgorithm } from './types.js'

/** What an authenticator app and the server must agree on (RFC 6238 §4). */
export interface TotpParameters {
  algorithm: TotpAlgorithm
  digits: 6 | 8
  /** @unit seconds */
  period: number
}

const otplibAlgorithm = (algorithm: TotpAlgorithm) => algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512'

/** A random secret, base32 as authenticator apps expect it. @default 20 // bytes = 160 bits (RFC 4226 §4 R6) */
export function generateTotpSecret (bytes = 20): string {
  return generateSecret({ length: bytes })
}

/** The code of the time step containing `epochSeconds`. `secret` is base32 text or raw key bytes. */
export async function generateTotpCode (secret: string | Uint8Array, params: TotpParameters, epochSeconds: number): Promise<string> {
  return await generate({ secret, algorithm: otplibAlgorithm(params.algorithm), digits: params.digits, period: params.period, epoch: epochSeconds })
}

/**
 * The time step `code` belongs to, searching `window` steps each way (RFC 6238 §5.2), or null.
 * otplib compares each candidate in constant time. `code` must already be `digits` digits.
 */
export async function verifyTotpCode (secret: string | Uint8Array, code: string, params: TotpParameters & { window: number },
  epochSeconds: number): Promise<number | null> {
  const result = await verify({
    secret,
    token: code,
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    period: params.period,
    epoch: epochSeconds,
    epochTolerance: params.window * params.period
  })
  // The functional API types TOTP and HOTP results together; a TOTP match always has `timeStep`.
  return result.valid && 'timeStep' in result ? result.timeStep : null
}

/** The otpauth:// URI (Key Uri Format) naming issuer and account; what the QR code holds. */
export function totpUri (secret: string, params: TotpParameters & { issuer: string, accountName: string }): string {
  return generateURI({
    issuer: params.issuer,
    label: params.accountName,
    secret,
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    period: params.period
  })
}
