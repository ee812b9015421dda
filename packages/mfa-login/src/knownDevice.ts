import type {} from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import { cookieSettings, randomToken, sha256, type EncryptedValue } from '@fastify-mfa/core/plugin-kit'
import type { ResolvedBrakeOptions } from './options.js'

/**
 * The "device cookie" of OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a browser
 * that signed in to an account before gets a cookie for that account (it survives sign-out), and
 * wrong passwords from it are counted apart from everyone else's. The value is sealed with core's
 * keyring (AES-256-GCM, bound to the account), so it cannot be forged or moved to another account,
 * and checking it costs no I/O. It never skips a factor (that is remember-device).
 */
export function createKnownDevices (mfa: MfaApi, opts: ResolvedBrakeOptions) {
  // One cookie per account on a browser; the name does not reveal the account.
  const settings = (request: FastifyRequest, userId: string) =>
    cookieSettings(request, `${opts.deviceCookieName}_${sha256(`known-device:${userId}`).slice(0, 12)}`, opts.secure)
  const context = (userId: string): string => `known-device:${userId}`
  const seal = (value: EncryptedValue): string => [value.kid, value.iv, value.tag, value.ct].join('.')
  const open = (cookie: string): EncryptedValue | null => {
    const [kid, iv, tag, ct, extra] = cookie.split('.')
    return kid && iv && tag && ct && extra === undefined ? { v: 1, kid, iv, tag, ct } : null
  }

  /** The device id when the request carries a valid device cookie of `userId`, else null. */
  function read (request: FastifyRequest, userId: string): string | null {
    const raw = request.cookies?.[settings(request, userId).name]
    const sealed = typeof raw === 'string' && raw.length < 512 ? open(raw) : null
    if (!sealed) return null
    try {
      const { d, exp } = JSON.parse(mfa.crypto.decrypt(sealed, context(userId))) as { d?: unknown, exp?: unknown }
      return typeof d === 'string' && typeof exp === 'number' && exp > mfa.nowSeconds() ? d : null
    } catch {
      return null // forged, another account's, or sealed with a key no longer in the keyring
    }
  }

  /** After a successful sign-in: issues the cookie unless the browser has a valid one for the account. */
  async function issue (request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
    if (read(request, userId) !== null) return
    const device = randomToken(16)
    const value = seal(mfa.crypto.encrypt(JSON.stringify({ d: device, exp: mfa.nowSeconds() + opts.deviceCookieMaxAge }), context(userId)))
    const { name, secure } = settings(request, userId)
    void reply.setCookie(name, value, { httpOnly: true, secure, sameSite: 'strict', path: '/', maxAge: opts.deviceCookieMaxAge })
    await mfa.emit('device_cookie.issued', { userId, request, details: { deviceId: device } })
  }

  return { read, issue }
}

export type KnownDevices = ReturnType<typeof createKnownDevices>
