import { readFile } from 'node:fs/promises'
import t from 'tap'
import { errors } from '../src/errors.js'
import { resolveOptions } from '../src/options.js'
import { approvalNumber } from '../src/approvalNumber.js'

t.test('defaults', async (t) => {
  t.same(resolveOptions({}), {
    approverWithin: 2_592_000,
    requestTtl: 120,
    waitSeconds: 25,
    pollInterval: 1000,
    heartbeatSeconds: 15,
    maxRequests: 3,
    requestWindow: 600,
    maxDenials: 3,
    lockSeconds: 900,
    prefix: null
  })
  t.equal(resolveOptions(undefined as never).requestTtl, 120)
})

t.test('a bad option fails the start with a TypeError naming it', async (t) => {
  const bad: Array<[string, unknown]> = [
    ['approverWithin', 10], ['requestTtl', 5], ['requestTtl', 1.5], ['waitSeconds', -1], ['waitSeconds', 61], ['pollInterval', 1],
    ['heartbeatSeconds', 0], ['maxRequests', 0], ['requestWindow', 30], ['maxDenials', 0], ['lockSeconds', 10], ['prefix', 'mfa'], ['waitSeconds', '5']
  ]
  for (const [name, value] of bad) {
    t.throws(() => resolveOptions({ [name]: value }), { name: 'TypeError', message: new RegExp(`^@fastify-mfa/device-approval: option "${name}"`) }, `${name}: ${String(value)}`)
  }
})

t.test('the number: two digits, from the whole range', async (t) => {
  const seen = new Set<number>()
  for (let i = 0; i < 2000; i++) seen.add(approvalNumber())
  t.ok([...seen].every((n) => Number.isInteger(n) && n >= 10 && n <= 99))
  t.equal(seen.size, 90)
})

t.test('every error code is unique, equals its key and is listed in the README', async (t) => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  for (const [key, ErrorClass] of Object.entries(errors)) {
    t.equal(new ErrorClass().code, key)
    t.ok(readme.includes(`\`${key}\``), `${key} in README`)
  }
  t.equal(new errors.FST_MFA_APPROVAL_DENIED().statusCode, 401)
})
