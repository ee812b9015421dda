import { readFile } from 'node:fs/promises'
import t from 'tap'
import { errors } from '../src/errors.js'

t.test('every error code is unique, equals its key and is listed in the README', async (t) => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const codes = new Set<string>()
  for (const [key, ErrorClass] of Object.entries(errors)) {
    const err = new ErrorClass()
    t.equal(err.code, key)
    t.notOk(codes.has(err.code), `${key} unique`)
    codes.add(err.code)
    t.ok(readme.includes(`\`${key}\``), `${key} in README`)
  }
  t.equal(new errors.FST_MFA_NO_ADDRESS().statusCode, 400)
  t.equal(new errors.FST_MFA_INVALID_PHONE().statusCode, 400)
})
