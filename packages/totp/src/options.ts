import { optionChecks } from '@fastify-mfa/core/plugin-kit'
import type { ResolvedTotpOptions, TotpAlgorithm, TotpOptions } from './types.js'

const ALGORITHMS: TotpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512']

const { fail, wholeNumber } = optionChecks('@fastify-mfa/totp')

/** Validates and defaults the options once, when the plugin starts. */
export function resolveOptions (options: Partial<TotpOptions>): ResolvedTotpOptions {
  const {
    issuer, algorithm = 'SHA1', digits = 6, period = 30, window = 1, setupTtl = 600, accountName, prefix
  } = options ?? {}
  if (typeof issuer !== 'string' || issuer.trim() === '' || issuer.includes(':')) {
    fail('option "issuer" is required: the service name shown in authenticator apps (no ":")')
  }
  if (!ALGORITHMS.includes(algorithm)) fail('option "algorithm" must be "SHA1", "SHA256" or "SHA512"')
  if (digits !== 6 && digits !== 8) fail('option "digits" must be 6 or 8')
  if (!wholeNumber(period, 10, 300)) fail('option "period" must be a whole number of seconds from 10 to 300')
  if (!wholeNumber(window, 0, 10)) fail('option "window" must be a whole number of steps from 0 to 10')
  if (!wholeNumber(setupTtl, 30, 86_400)) fail('option "setupTtl" must be a whole number of seconds from 30 to 86400')
  if (accountName !== undefined && typeof accountName !== 'function') {
    fail('option "accountName" must be a function (request) => string')
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !prefix.startsWith('/'))) {
    fail('option "prefix" must be a path starting with "/"')
  }
  return {
    issuer: issuer!.trim(),
    algorithm,
    digits,
    period,
    window,
    setupTtl,
    accountName: accountName ?? null,
    prefix: prefix ?? null
  }
}
