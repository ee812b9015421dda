import t from 'tap'
import { errors } from '../src/errors.js'

t.test('every app error code equals its key, is APP_-prefixed and unique, with a 4xx status (502 for a failed delivery)', async (t) => {
  const codes = Object.entries(errors).map(([key, FastifyError]) => {
    const err = new FastifyError()
    t.equal(err.code, key)
    t.match(key, /^APP_[A-Z_]+$/)
    t.ok(key === 'APP_DELIVERY_FAILED' ? err.statusCode === 502 : err.statusCode! >= 400 && err.statusCode! < 500, `${key}: ${err.statusCode}`)
    return err.code
  })
  t.equal(new Set(codes).size, codes.length)
})
