import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import type { MfaLoginOptions } from './options.js'

export interface ResolvedBrakeOptions {
  threshold: number
  window: number
  durations: number[]
  knownDeviceThreshold: number
  deviceCookieMaxAge: number
  deviceCookieName: string
  secure: 'auto' | boolean
}

const { fail, wholeNumber } = optionChecks('@fastify-mfa/mfa-login')
const COOKIE_NAME = /^[A-Za-z0-9_-]{1,32}$/

export function resolveBrake (o: MfaLoginOptions['passwordBrake']): ResolvedBrakeOptions | false {
  if (o === false) return false
  const brake = {
    threshold: o?.threshold ?? 10,
    window: o?.window ?? 900,
    durations: o?.durations ?? [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400],
    knownDeviceThreshold: o?.knownDeviceThreshold ?? 5,
    deviceCookieMaxAge: o?.deviceCookieMaxAge ?? 180 * 86_400,
    deviceCookieName: o?.deviceCookieName ?? 'mfa_known',
    secure: o?.secure ?? 'auto'
  }
  if (!wholeNumber(brake.threshold, 1, 100) || !wholeNumber(brake.knownDeviceThreshold, 1, 100)) {
    fail('option "passwordBrake" needs threshold and knownDeviceThreshold from 1 to 100')
  }
  if (!wholeNumber(brake.window, 1)) fail('option "passwordBrake.window" must be a positive whole number of seconds')
  // A brake shorter than the window would let the next window's budget start while it holds.
  if (!Array.isArray(brake.durations) || brake.durations.length === 0 || !brake.durations.every((d) => wholeNumber(d, brake.window))) {
    fail('option "passwordBrake.durations" must be whole seconds, each at least "passwordBrake.window"')
  }
  if (!wholeNumber(brake.deviceCookieMaxAge, 60, 400 * 86_400)) fail('option "passwordBrake.deviceCookieMaxAge" must be whole seconds from 60 to 400 days')
  if (typeof brake.deviceCookieName !== 'string' || !COOKIE_NAME.test(brake.deviceCookieName)) fail('option "passwordBrake.deviceCookieName" must be up to 32 letters, digits, - or _')
  if (brake.secure !== 'auto' && typeof brake.secure !== 'boolean') fail('option "passwordBrake.secure" must be \'auto\', true or false')
  return brake
}
