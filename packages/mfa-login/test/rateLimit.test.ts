import t from 'tap'
import { Redis } from 'ioredis'
import { PASSWORD, buildLoginApp, fakeClock, user } from './helpers.js'

const attempt = (app: Awaited<ReturnType<typeof buildLoginApp>>, remoteAddress: string, login = 'nobody@example.com') =>
  app.inject({ method: 'POST', url: '/auth/login', remoteAddress, payload: { login, password: 'x' } })

const app = (t: Parameters<typeof buildLoginApp>[0], rateLimit: object) =>
  buildLoginApp(t, { users: new Map([['alice', user('alice')]]), clock: fakeClock(), login: { rateLimit: { max: 3, accountMax: 100, ...rateLimit } } })

t.test('per address: IPv6 addresses of one /64 share a limit, other networks do not', async (t) => {
  const server = await app(t, {})
  for (let i = 1; i <= 3; i++) t.equal((await attempt(server, `2001:db8:1:2::${i}`)).statusCode, 401)
  const limited = await attempt(server, '2001:db8:1:2:ffff::9')
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { code: 'FST_MFA_RATE_LIMITED' })
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await attempt(server, '2001:db8:1:3::1')).statusCode, 401, 'the next /64 has its own count')
  t.equal((await attempt(server, '192.0.2.1')).statusCode, 401)
})

t.test('the per-address count spans the login, verify and step-up routes', async (t) => {
  const server = await app(t, {})
  const ip = '192.0.2.50'
  t.equal((await attempt(server, ip)).statusCode, 401)
  t.equal((await server.inject({ method: 'POST', url: '/auth/login/verify', remoteAddress: ip, payload: { method: 'totp', code: '1' } })).statusCode, 403)
  t.equal((await server.inject({ method: 'POST', url: '/auth/step-up/verify', remoteAddress: ip, payload: { method: 'totp', code: '1' } })).statusCode, 401)
  t.equal((await attempt(server, ip)).statusCode, 429, 'the fourth request to any of them is over the limit')
  t.equal((await server.inject({ url: '/auth/session', remoteAddress: ip })).statusCode, 200, 'reading the session is not limited')
})

t.test('regression: requests to one login are not limited per account (anyone who knew the login kept its owner out)', async (t) => {
  const server = await app(t, { max: 100, accountMax: 2 })
  for (let i = 0; i < 5; i++) t.equal((await attempt(server, `192.0.2.${i + 1}`, 'alice@example.com')).statusCode, 401)
  const owner = await server.inject({ method: 'POST', url: '/auth/login', remoteAddress: '198.51.100.1', payload: { login: 'alice@example.com', password: PASSWORD } })
  t.equal(owner.statusCode, 200, 'the right password still gets through; wrong ones are braked by the store (brake.test.ts)')
})

t.test('X-Forwarded-For is ignored unless Fastify trusts the proxy', async (t) => {
  const server = await app(t, {})
  for (let i = 0; i < 3; i++) {
    await server.inject({ method: 'POST', url: '/auth/login', remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': `203.0.113.${i}` }, payload: { login: 'x@example.com', password: 'x' } })
  }
  const res = await server.inject({ method: 'POST', url: '/auth/login', remoteAddress: '198.51.100.7', headers: { 'x-forwarded-for': '203.0.113.99' }, payload: { login: 'x@example.com', password: 'x' } })
  t.equal(res.statusCode, 429, 'a spoofed header does not buy new attempts')
})

t.test('with Redis, two instances count together', async (t) => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
  } catch {
    t.fail('Redis is not reachable on 127.0.0.1:6379 (.ci/run starts it)')
    return
  }
  t.teardown(() => redis.quit())
  const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
  const a = await app(t, { redis })
  const b = await app(t, { redis })
  t.equal((await attempt(a, ip)).statusCode, 401)
  t.equal((await attempt(b, ip)).statusCode, 401)
  t.equal((await attempt(a, ip)).statusCode, 401)
  t.equal((await attempt(b, ip)).statusCode, 429, 'the fourth request, on the other instance, is over the limit')
})
