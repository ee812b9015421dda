import t from 'tap'
import type { FastifyInstance } from 'fastify'
import mfaTotp, { type TotpOptions } from '../src/index.js'

// Compiled by `tsc -p tsconfig.json --noEmit`: the public options type accepts what the README
// documents and refuses what resolveOptions refuses.
const full: TotpOptions = {
  issuer: 'Acme',
  algorithm: 'SHA256',
  digits: 8,
  period: 60,
  window: 2,
  setupTtl: 300,
  accountName: async (request) => request.mfa.userId ?? 'unknown',
  prefix: '/account/mfa'
}
// @ts-expect-error issuer is required
const missingIssuer: TotpOptions = {}
// @ts-expect-error 7 digits are not offered
const sevenDigits: TotpOptions = { issuer: 'Acme', digits: 7 }
// @ts-expect-error algorithm names are upper case
const lowerCase: TotpOptions = { issuer: 'Acme', algorithm: 'sha1' }

async function register (app: FastifyInstance): Promise<void> {
  await app.register(mfaTotp, full)
}

t.test('public types', async (t) => {
  t.ok(full && missingIssuer && sevenDigits && lowerCase && register)
})
