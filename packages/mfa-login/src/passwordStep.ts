import type { FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import { withDetails } from '@fastify-mfa/core/plugin-kit'
import type { PasswordBrake } from './brake.js'
import { errors } from './errors.js'
import type { KnownDevices } from './knownDevice.js'
import type { LoginUser, ResolvedLoginOptions } from './options.js'
import type { createPasswordCheck } from './password.js'

/**
 * The password step of `POST /auth/login`: the brake (per account, apart for a known browser), then
 * one bcrypt comparison whether or not the user exists. Unknown users, wrong passwords and a held
 * brake look the same for a known and an unknown login. Throws 401 or 429; returns on a right password.
 */
export function createPasswordStep (mfa: MfaApi, opts: ResolvedLoginOptions, check: ReturnType<typeof createPasswordCheck>,
  brake: PasswordBrake | null, known: KnownDevices | null) {
  const brakeOpts = opts.passwordBrake
  return {
    async step (request: FastifyRequest, user: LoginUser | null, login: string, password: string): Promise<void> {
      const device = user && known ? known.read(request, user.id) : null
      const entry = brake && brakeOpts
        ? await brake.enter(brake.bucketOf(user?.id ?? null, login, device), device ? brakeOpts.knownDeviceThreshold : brakeOpts.threshold)
        : null
      if (entry && 'retryAfter' in entry) {
        await mfa.emit('login.throttled', { userId: user?.id ?? null, request, details: { knownDevice: device !== null, retryAfter: entry.retryAfter } })
        throw withDetails(new errors.FST_MFA_RATE_LIMITED(), { retryAfter: entry.retryAfter })
      }
      let ok: boolean
      try {
        ok = await check.matches(user, password, opts.verifyPassword)
      } catch (err) {
        if (entry) await brake!.release(entry)
        throw err
      }
      if (!user || !ok) {
        const braked = entry ? await brake!.failed(entry) : 0
        await mfa.emit('login.password_failed', { userId: user?.id ?? null, request, details: { knownUser: user !== null, knownDevice: device !== null, ...(braked > 0 ? { braked } : {}) } })
        throw new errors.FST_MFA_INVALID_CREDENTIALS()
      }
      if (entry) await brake!.passed(entry)
    },
    /** After a completed sign-in: the browser becomes a known device of the account. */
    issueDeviceCookie: known?.issue ?? (async () => {})
  }
}

export type PasswordStep = ReturnType<typeof createPasswordStep>
