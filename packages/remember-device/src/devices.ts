import type {} from '@fastify/cookie'
import type { MfaApi, RememberDeviceApi } from '@fastify-mfa/core'
import { cookieSettings, deviceLabel, randomToken, sha256 } from '@fastify-mfa/core/plugin-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ResolvedRememberDeviceOptions } from './options.js'
import type { TrustedDeviceStore } from './store.js'

// randomToken(32): 32 bytes = 256 bits, base64url without padding.
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/

export interface DeviceCookie {
  /** The cookie's token hash when the request carries a well-formed device cookie. */
  tokenHash(request: FastifyRequest): string | null
  clear(request: FastifyRequest, reply: FastifyReply): void
}

export function createDeviceCookie (opts: ResolvedRememberDeviceOptions): DeviceCookie & {
  set(request: FastifyRequest, reply: FastifyReply, token: string): void
} {
  const settings = (request: FastifyRequest) => cookieSettings(request, opts.cookieName, opts.secure)
  const attributes = (secure: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, path: '/', secure })
  return {
    tokenHash (request) {
      const token = request.cookies[settings(request).name]
      return token !== undefined && TOKEN_FORMAT.test(token) ? sha256(token) : null
    },
    set (request, reply, token) {
      const { name, secure } = settings(request)
      void reply.setCookie(name, token, { ...attributes(secure), maxAge: opts.maxAge })
    },
    clear (request, reply) {
      const { name, secure } = settings(request)
      if (request.cookies[name] !== undefined) void reply.clearCookie(name, attributes(secure))
    }
  }
}

/** `fastify.mfa.devices`: what mfa-login calls at the second-factor step. */
export function createRememberDeviceApi (mfa: MfaApi, store: TrustedDeviceStore, cookie: ReturnType<typeof createDeviceCookie>,
  opts: ResolvedRememberDeviceOptions): RememberDeviceApi {
  return {
    async check (request, userId) {
      const tokenHash = cookie.tokenHash(request)
      if (tokenHash === null) return false
      // The query itself refuses another user's device and an expired one.
      const device = await store.findLive(tokenHash, userId)
      if (!device) return false
      if (device.securityStamp !== await mfa.users.securityStamp(userId)) {
        // Password changed, factor removed or MFA reset since the device was remembered.
        await store.revokeByToken(tokenHash)
        return false
      }
      await store.markUsed(tokenHash, new Date(mfa.now()))
      await mfa.emit('device.used', { userId, request, details: { deviceId: device.publicId, label: device.label } })
      return true
    },

    async remember (request, reply, userId) {
      // One device cookie per browser: the token it replaces is retired, whoever it belonged to.
      const replacedHash = cookie.tokenHash(request)
      const replaced = replacedHash === null ? null : await store.revokeByToken(replacedHash)
      if (replaced) {
        await mfa.emit('device.revoked', { userId: replaced.userId, request, details: { deviceId: replaced.publicId, label: replaced.label, reason: 'replaced' } })
      }
      const token = randomToken(32)
      const now = mfa.now()
      const device = {
        _id: sha256(token),
        publicId: randomToken(16),
        userId,
        label: deviceLabel(request.headers['user-agent']),
        ip: request.ip,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt: new Date(now + opts.maxAge * 1000),
        securityStamp: await mfa.users.securityStamp(userId)
      }
      await store.insert(device)
      cookie.set(request, reply, token)
      await mfa.emit('device.remembered', { userId, request, details: { deviceId: device.publicId, label: device.label } })
    },

    async revokeAll (userId, request) {
      const count = await store.revokeAll(userId)
      if (count > 0) await mfa.emit('device.revoked', { userId, request, details: { count, reason: 'all' } })
      return count
    }
  }
}
