import { readFileSync } from 'node:fs'
import t from 'tap'
import { errors as core } from '@fastify-mfa/core'
import { totpErrors } from '@fastify-mfa/totp'
import { errors as backupCodes } from '@fastify-mfa/backup-codes'
import { errors as webauthn } from '@fastify-mfa/webauthn'
import { errors as mfaLogin } from '@fastify-mfa/mfa-login'
import { errors as sentCodes } from '@fastify-mfa/sent-codes'
import { errors as deviceApproval } from '@fastify-mfa/device-approval'

// Every error code of the suite in one place, like fastify core's test/internals/errors.test.js.
type Registry = Record<string, new () => Error & { code: string, statusCode?: number }>
const packages: Array<[string, Registry]> = [
  ['core', core], ['totp', totpErrors], ['backup-codes', backupCodes], ['webauthn', webauthn], ['mfa-login', mfaLogin], ['sent-codes', sentCodes],
  ['device-approval', deviceApproval]
]
const readme = (pkg: string) => readFileSync(new URL(`../../packages/${pkg}/README.md`, import.meta.url), 'utf8')
const rootReadme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

t.test('every code equals its key, is unique across the suite, and is documented', async (t) => {
  const owners = new Map<string, { pkg: string, ctor: unknown }>()
  for (const [pkg, registry] of packages) {
    const text = readme(pkg)
    for (const [key, Ctor] of Object.entries(registry)) {
      const err = new Ctor()
      t.equal(err.code, key, `${pkg}: ${key} equals its code`)
      t.ok(typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600, `${pkg}: ${key} has an HTTP status`)
      const owner = owners.get(key)
      // A package may re-export a shared code (the same constructor); it may not define its own with that code.
      if (owner) t.equal(Ctor, owner.ctor, `${key} is defined once (in ${owner.pkg}), ${pkg} re-exports it`)
      else owners.set(key, { pkg, ctor: Ctor })
      t.match(text, `\`${key}\``, `${key} is in the README of ${pkg}`)
      t.match(rootReadme, `\`${key}\``, `${key} is in the root README`)
    }
  }
  // Pinned: a new code is a contract change; add it here on purpose (and to the READMEs).
  t.equal(owners.size, 28, 'the number of distinct error codes')
})
