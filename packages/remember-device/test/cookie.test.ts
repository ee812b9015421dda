import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { cookieSettings } from '@fastify-mfa/core/plugin-kit'
import { setup } from './helpers.js'

const deviceCookie = (res: { cookies: Array<{ name: string }> }, name: string) =>
  res.cookies.find((c) => c.name === name) as Record<string, unknown> | undefined

t.test('plain-http localhost development: httpOnly, SameSite=Lax, path /, not Secure, no prefix', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser } = await setup(t, store)
    const res = await browser().remember('alice')
    t.equal(res.statusCode, 200)
    const cookie = deviceCookie(res, 'mfa_device')
    t.ok(cookie, 'named mfa_device')
    t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 30 * 24 * 3600 })
    t.notOk(cookie!.secure, 'not Secure over http://localhost')
    t.notOk(cookie!.domain, 'host-only')
    t.match(cookie!.value, /^[A-Za-z0-9_-]{43}$/, '256-bit random token')
  })
})

t.test('any other host: Secure and __Host- prefixed (secure: "auto")', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser } = await setup(t, store)
    const b = browser()
    const res = await b.remember('alice', { host: 'app.example.com' })
    t.notOk(deviceCookie(res, 'mfa_device'))
    const cookie = deviceCookie(res, '__Host-mfa_device')
    t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/', secure: true })
    t.notOk(cookie!.domain, '__Host- cookies have no Domain')
    t.equal(await b.check('alice', { host: 'app.example.com' }), true, 'read back under the prefixed name')
  })
})

t.test('a cookie without the __Host- prefix is ignored where the cookie is Secure', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser } = await setup(t, store)
    const b = browser()
    const token = deviceCookie(await b.remember('alice', { host: 'app.example.com' }), '__Host-mfa_device')!.value as string
    // A sibling subdomain or a plain-http response can plant `mfa_device`, never `__Host-mfa_device`.
    const other = browser()
    other.jar.set('mfa_device', token)
    t.equal(await other.check('alice', { host: 'app.example.com' }), false)
  })
})

t.test('option secure: true makes the cookie Secure even on http://localhost; false never', async (t) => {
  await eachStore(t, async (t, store) => {
    const secure = await setup(t, store, { options: { secure: true } })
    const b = secure.browser()
    t.match(deviceCookie(await b.remember('alice'), '__Host-mfa_device'), { secure: true, httpOnly: true, sameSite: 'Lax', path: '/' })
    t.equal(await b.check('alice'), true)

    const plain = await setup(t, store === 'memory' ? 'memory' : store, { options: { secure: false, cookieName: 'trusted', maxAge: 3600 } })
    const cookie = deviceCookie(await plain.browser().remember('bob', { host: 'app.example.com' }), 'trusted')
    t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 3600 })
    t.notOk(cookie!.secure)
  })
})

t.test('cookieSettings: only plain http to a loopback name is not Secure', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['http', 'localhost', false], ['http', '127.0.0.1', false], ['http', '[::1]', false], ['http', 'app.localhost', false],
    ['http', 'LOCALHOST', false], ['https', 'localhost', true], ['https', 'app.example.com', true],
    ['http', 'app.example.com', true], ['http', '10.0.0.5', true], ['http', 'localhost.example.com', true]
  ]
  for (const [protocol, hostname, secure] of cases) {
    t.same(cookieSettings({ protocol, hostname }, 'mfa_device', 'auto'),
      { name: secure ? '__Host-mfa_device' : 'mfa_device', secure }, `${protocol}://${hostname}`)
  }
  t.same(cookieSettings({ protocol: 'http', hostname: 'localhost' }, 'd', true), { name: '__Host-d', secure: true })
  t.same(cookieSettings({ protocol: 'https', hostname: 'example.com' }, 'd', false), { name: 'd', secure: false })
})
