import t from 'tap'
import { readFileSync } from 'node:fs'
import { errors } from '../src/errors.js'

t.test('every error code is unique, equals its key, and is listed in the README', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const codes = new Set<string>()
  for (const [key, ErrorType] of Object.entries(errors)) {
    const err = new ErrorType()
    t.equal(err.code, key)
    t.ok(err.statusCode! >= 400 && err.statusCode! < 500, `${key} is a client error`)
    t.notOk(codes.has(err.code), `${key} is unique`)
    codes.add(err.code)
    t.ok(readme.includes(key), `${key} is in the README`)
  }
  for (const shared of ['FST_MFA_NOT_FOUND', 'FST_MFA_STEP_UP_REQUIRED', 'FST_MFA_UNAUTHENTICATED', 'FST_MFA_NOT_ENROLLED']) {
    t.ok(readme.includes(shared), `shared code ${shared} documented where the routes use it`)
  }
})
