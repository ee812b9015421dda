import { randomBytes, randomInt } from 'node:crypto'
import { connect } from 'node:net'
import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { loadConfig } from '../src/config.js'
import { ADMIN, ORIGIN, PASSWORD, signUp, startApp, user } from './helpers.js'

// The directives each page needs, and the ones that keep it from being framed or injected into.
const CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"]

await eachStore(t, async (t, _store, kind) => {
  t.test('every page sends a CSP that forbids framing, and X-Frame-Options DENY', async (t) => {
    const app = await startApp(t, kind)
    const browser = user(app)
    await signUp(browser, ADMIN)
    await browser.post('/auth/login', { login: ADMIN, password: PASSWORD })
    for (const url of ['/', '/signup', '/login', '/settings/security', '/admin', '/dev/mail']) {
      const res = await browser.get(url)
      t.match(res.headers['content-type'], /^text\/html/, url)
      const directives = String(res.headers['content-security-policy']).split(';').map((d) => d.trim())
      for (const directive of CSP) t.ok(directives.includes(directive), `${url}: ${directive}`)
      t.notOk(directives.some((d) => d.startsWith('upgrade-insecure-requests')), `${url}: over http nothing is upgraded`)
      t.equal(res.headers['x-frame-options'], 'DENY', `${url}: X-Frame-Options`)
      t.equal(res.headers['referrer-policy'], 'same-origin', `${url}: same-origin POSTs keep their Origin header`)
      // What the policy would block: an inline script, an inline handler or style attribute.
      t.notMatch(res.body, /<script(?![^>]*\ssrc=)/, `${url}: no inline script`)
      t.notMatch(res.body, /\s(on[a-z]+|style)=/i, `${url}: no inline handler or style`)
    }
  })

  t.test('the session cookie over plain http keeps its name and is not Secure', async (t) => {
    const app = await startApp(t, kind)
    const browser = user(app)
    await signUp(browser, 'ada@example.com')
    const login = await browser.post('/auth/login', { login: 'ada@example.com', password: PASSWORD })
    const cookie = login.cookies.find((c) => c.name === 'sessionId')
    t.ok(cookie, 'sessionId is set')
    t.notOk(cookie?.secure)
    t.equal(cookie?.path, '/')
  })

  t.test('over https the session cookie is __Host-sid: Secure, path /, no Domain', async (t) => {
    // The app serves plain HTTP behind a TLS proxy; TRUST_PROXY lets it see the proxy's X-Forwarded-Proto.
    const app = await startApp(t, kind, { ORIGIN: 'https://app.example.com', RP_ID: 'app.example.com', TRUST_PROXY: '127.0.0.1' })
    const browser = user(app)
    const https = { 'x-forwarded-proto': 'https' }
    await browser.inject({ method: 'POST', url: '/api/signup', headers: https, payload: { email: 'ada@example.com', password: PASSWORD } })
    const login = await browser.inject({ method: 'POST', url: '/auth/login', headers: https, payload: { login: 'ada@example.com', password: PASSWORD } })
    t.match(login.json(), { step: 'complete' })
    const header = [login.headers['set-cookie']].flat().find((c) => String(c).startsWith('__Host-sid='))
    t.ok(header, 'the Set-Cookie header names __Host-sid')
    const attributes = String(header).split(';').map((a) => a.trim().toLowerCase())
    t.ok(attributes.includes('secure'), 'Secure')
    t.ok(attributes.includes('path=/'), 'Path=/')
    t.ok(attributes.includes('httponly'), 'HttpOnly')
    t.notOk(attributes.some((a) => a.startsWith('domain=')), 'no Domain')
    t.equal([login.headers['set-cookie']].flat().filter((c) => String(c).startsWith('sessionId=')).length, 0, 'no unprefixed cookie')
    t.equal((await browser.inject({ url: '/auth/session', headers: https })).json().userId !== null, true, 'the cookie signs the browser in')
    const directives = String((await browser.inject({ url: '/', headers: https })).headers['content-security-policy'])
    t.match(directives, /upgrade-insecure-requests/, 'over https sub-resources are upgraded')
  })

  t.test('sign-up is limited per address: the 11th in a minute gets 429 APP_RATE_LIMITED', async (t) => {
    const app = await startApp(t, kind)
    const signup = async (n: number, remoteAddress: string) => await app.inject({
      method: 'POST', url: '/api/signup', remoteAddress, payload: { email: `user${n}@example.com`, password: PASSWORD }
    })
    for (let n = 0; n < 10; n++) t.equal((await signup(n, '203.0.113.7')).statusCode, 201, `sign-up ${n + 1}`)
    const limited = await signup(10, '203.0.113.7')
    t.equal(limited.statusCode, 429)
    t.same(limited.json(), { statusCode: 429, code: 'APP_RATE_LIMITED', error: 'Too Many Requests', message: limited.json().message })
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
    t.equal((await app.inject({ url: '/auth/session', remoteAddress: '203.0.113.7' })).statusCode, 200, 'other routes are not limited by it')
    t.equal((await signup(11, '203.0.113.8')).statusCode, 201, 'another address still signs up')
  })

  t.test('SIGNUP_RATE_LIMIT sets the limit', async (t) => {
    const app = await startApp(t, kind, { SIGNUP_RATE_LIMIT: '2' })
    const codes: number[] = []
    for (let n = 0; n < 3; n++) {
      codes.push((await app.inject({ method: 'POST', url: '/api/signup', payload: { email: `u${n}@example.com`, password: PASSWORD } })).statusCode)
    }
    t.same(codes, [201, 201, 429])
  })

  t.test('the app\'s JSON routes refuse other origins and bodies that are not JSON', async (t) => {
    const app = await startApp(t, kind)
    const payload = JSON.stringify({ email: 'eve@example.com', password: PASSWORD })
    const post = async (headers: Record<string, string>, body = payload) =>
      await app.inject({ method: 'POST', url: '/api/signup', headers: { 'content-type': 'application/json', ...headers }, payload: body })
    t.match((await post({ origin: 'https://evil.example' })).json(), { statusCode: 403, code: 'APP_ORIGIN_REFUSED' })
    t.match((await post({ origin: 'null' })).json(), { statusCode: 403, code: 'APP_ORIGIN_REFUSED' }, 'a sandboxed or redirected page')
    t.match((await post({ 'sec-fetch-site': 'cross-site' })).json(), { statusCode: 403, code: 'APP_ORIGIN_REFUSED' })
    // A form or text/plain post needs no CORS preflight: the classic CSRF shapes.
    t.match((await post({ 'content-type': 'text/plain' })).json(), { statusCode: 415, code: 'APP_UNSUPPORTED_MEDIA_TYPE' })
    t.equal((await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'email=eve%40example.com&password=x')).statusCode, 415)
    t.equal((await app.inject({ method: 'DELETE', url: '/api/account', headers: { origin: 'https://evil.example' } })).json().code, 'APP_ORIGIN_REFUSED')
    const users = app.mfa.store.collection<{ _id: string }>('users')
    t.equal(await users.findOne({ _id: 'eve@example.com' }), null, 'none of them signed up')
    t.equal((await post({ origin: ORIGIN, 'sec-fetch-site': 'same-origin' })).statusCode, 201, 'the app\'s own page signs up')
  })

  t.test('the plugins\' routes get the app\'s origin', async (t) => {
    const app = await startApp(t, kind)
    const res = await app.inject({ method: 'POST', url: '/auth/login', headers: { origin: 'https://evil.example' }, payload: { login: 'a@example.com', password: PASSWORD } })
    t.match(res.json(), { statusCode: 403, code: 'FST_MFA_ORIGIN_REFUSED' })
    const own = await app.inject({ method: 'POST', url: '/auth/login', headers: { origin: ORIGIN }, payload: { login: 'a@example.com', password: PASSWORD } })
    t.equal(own.json().code, 'FST_MFA_INVALID_CREDENTIALS', 'from the app\'s origin the request is judged on its merits')
  })

  t.test('the app\'s JSON routes refuse type coercion and unknown properties', async (t) => {
    const app = await startApp(t, kind)
    const signup = async (payload: object) => await app.inject({ method: 'POST', url: '/api/signup', payload })
    t.equal((await signup({ email: 'n@example.com', password: 12345678 })).statusCode, 400, 'a number is not a password')
    t.equal((await signup({ email: 'n@example.com', password: PASSWORD, roles: ['admin'] })).statusCode, 400, 'no extra properties')
    t.equal((await signup({ email: 'n@example.com', password: PASSWORD })).statusCode, 201)
  })
})

const redisReachable = async (): Promise<boolean> => await new Promise((resolve) => {
  const socket = connect(6379, '127.0.0.1')
  socket.setTimeout(1000)
  socket.once('connect', () => { socket.destroy(); resolve(true) })
  socket.once('error', () => resolve(false))
  socket.once('timeout', () => { socket.destroy(); resolve(false) })
})

t.test('with REDIS_URL the sign-up count is shared by every instance', { skip: !await redisReachable() && 'no Redis on 127.0.0.1:6379' }, async (t) => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', SIGNUP_RATE_LIMIT: '4' }
  const [a, b] = [await startApp(t, 'memory', env), await startApp(t, 'memory', env)]
  // Counters stay in Redis for a minute: a fresh address and fresh emails for each run.
  const remoteAddress = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
  const run = randomBytes(4).toString('hex')
  const codes: number[] = []
  for (let n = 0; n < 5; n++) {
    const app = n % 2 === 0 ? a : b
    codes.push((await app.inject({ method: 'POST', url: '/api/signup', remoteAddress, payload: { email: `r${run}-${n}@example.com`, password: PASSWORD } })).statusCode)
  }
  t.same(codes, [201, 201, 201, 201, 429], 'two on each instance, then the fifth is over the limit of 4')
})

t.test('TRUST_PROXY and SIGNUP_RATE_LIMIT are read from the environment', async (t) => {
  t.equal(loadConfig({}).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }).trustProxy, ['10.0.0.1', '10.1.0.0/16'])
  t.equal(loadConfig({}).signupRateLimit, 10)
  t.throws(() => loadConfig({ SIGNUP_RATE_LIMIT: '0' }), /SIGNUP_RATE_LIMIT/)
  t.throws(() => loadConfig({ SIGNUP_RATE_LIMIT: 'lots' }), /SIGNUP_RATE_LIMIT/)
  t.ok(loadConfig({ ORIGIN: 'https://app.example.com' }).warnings.some((w) => /TRUST_PROXY/.test(w)), 'https without a trusted proxy is warned about')
  t.notOk(loadConfig({ ORIGIN: 'https://app.example.com', TRUST_PROXY: '1' }).warnings.some((w) => /TRUST_PROXY/.test(w)))
})
