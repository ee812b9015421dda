import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import type { DeviceApprovalOptions, ResolvedDeviceApprovalOptions } from './types.js'

const { fail, wholeNumber } = optionChecks('@fastify-mfa/device-approval')

/** Validates and defaults the options once, when the plugin starts. */
export function resolveOptions (options: DeviceApprovalOptions): ResolvedDeviceApprovalOptions {
  const {
    approverWithin = 30 * 86_400, requestTtl = 120, waitSeconds = 25, pollInterval = 1000, heartbeatSeconds = 15,
    maxRequests = 3, requestWindow = 600, maxDenials = 3, lockSeconds = 900, prefix
  } = options ?? {}
  if (!wholeNumber(approverWithin, 60)) fail('option "approverWithin" must be a whole number of seconds, at least 60')
  if (!wholeNumber(requestTtl, 10, 600)) fail('option "requestTtl" must be a whole number of seconds from 10 to 600')
  if (!(typeof waitSeconds === 'number' && waitSeconds >= 0 && waitSeconds <= 60)) fail('option "waitSeconds" must be a number of seconds from 0 to 60')
  if (!wholeNumber(pollInterval, 10, 60_000)) fail('option "pollInterval" must be a whole number of milliseconds from 10 to 60000')
  if (!(typeof heartbeatSeconds === 'number' && heartbeatSeconds > 0 && heartbeatSeconds <= 300)) fail('option "heartbeatSeconds" must be a number of seconds from 0 to 300')
  if (!wholeNumber(maxRequests, 1, 20)) fail('option "maxRequests" must be a whole number from 1 to 20')
  if (!wholeNumber(requestWindow, 60, 86_400)) fail('option "requestWindow" must be a whole number of seconds from 60 to 86400')
  if (!wholeNumber(maxDenials, 1, 20)) fail('option "maxDenials" must be a whole number from 1 to 20')
  if (!wholeNumber(lockSeconds, 60, 86_400)) fail('option "lockSeconds" must be a whole number of seconds from 60 to 86400')
  if (prefix !== undefined && (typeof prefix !== 'string' || !prefix.startsWith('/'))) fail('option "prefix" must be a path starting with "/"')
  return { approverWithin, requestTtl, waitSeconds, pollInterval, heartbeatSeconds, maxRequests, requestWindow, maxDenials, lockSeconds, prefix: prefix ?? null }
}
