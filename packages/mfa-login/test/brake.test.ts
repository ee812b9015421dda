import t from 'tap'
import { eachStore, freshStore, httpClient as client } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { PASSWORD, buildLoginApp, fakeClock, fakeCodeFactor, user } from './helpers.js'

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildLoginApp>[0], login: object = {}) {
    const clock = fakeClock()
    const users = new Map([['alice', user('alice')], ['bob', user('bob')]])
    const totp = fakeCodeFactor('totp', new Set(['alice', 'bob']))
    const app = await buildLoginApp(t, { users, clock, store: await freshStore(t, kind), factors: [totp.factor], login: { rateLimit: { max: 1000 }, ...login } })
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    const at = (address: string) => client(port, address)
    /** The owner's browser: signed in once (password and code), then signed out; it keeps the device cookie. */
    const ownersBrowser = async (address: string, name = 'alice') => {
      const browser = at(address)
      await browser.login(`${name}@example.com`, PASSWORD)
      const done = await browser.post('/auth/login/verify', { method: 'totp', code: `ok-${name}` })
      if (done.status !== 200) throw new Error(JSON.stringify(done.body))
      await browser.post('/auth/logout', {})
      return browser
    }
    return { app, clock, events, at, ownersBrowser }
  }

  t.test('regression: an attacker who knows only the login cannot keep the owner (on a browser that signed in before) out', async (t) => {
    const { at, ownersBrowser, events } = await setup(t)
    const owner = await ownersBrowser('127.0.0.3')
    t.ok([...owner.jar.keys()].some((k) => k.startsWith('mfa_known_')), 'the owner\'s browser got a device cookie')
    t.ok(events.some((e) => e.type === 'device_cookie.issued' && e.userId === 'alice'))
    const attacker = at('127.0.0.2')
    for (let i = 0; i < 10; i++) t.equal((await attacker.login('alice@example.com', `guess ${i}`)).status, 401)
    const braked = await attacker.login('alice@example.com', 'guess 10')
    t.equal(braked.status, 429)
    t.match(braked.body, { code: 'FST_MFA_RATE_LIMITED', retryAfter: 900 })
    t.equal(braked.headers['retry-after'], '900')
    t.equal((await attacker.login('alice@example.com', PASSWORD)).status, 429, 'past the threshold even the right password is not checked for a stranger')
    t.match((await owner.login('alice@example.com', PASSWORD)).body, { step: 'mfa' }, 'the owner\'s known browser reaches the second factor')
    t.ok(events.some((e) => e.type === 'login.throttled' && e.userId === 'alice'))
  })

  t.test('60 guesses from 60 addresses at once: no more than the threshold are evaluated', async (t) => {
    const { at, events } = await setup(t)
    const answers = await Promise.all(Array.from({ length: 60 }, async (_, i) => await at(`127.0.0.${10 + i}`).login('alice@example.com', `guess ${i}`)))
    const evaluated = events.filter((e) => e.type === 'login.password_failed').length
    t.ok(evaluated <= 10, `${evaluated} passwords compared`)
    t.equal(answers.filter((a) => a.status === 401).length, evaluated)
    t.equal(answers.filter((a) => a.status === 429).length, 60 - evaluated)
  })

  t.test('a known and an unknown login are throttled alike', async (t) => {
    const { at } = await setup(t)
    const run = async (login: string, address: string) => {
      const c = at(address)
      const answers: Array<[number, unknown]> = []
      for (let i = 0; i < 12; i++) {
        const a = await c.login(login, `guess ${i}`)
        answers.push([a.status, a.body.retryAfter])
      }
      return answers
    }
    t.same(await run('alice@example.com', '127.0.0.5'), await run('nobody@example.com', '127.0.0.6'))
  })

  t.test('only failures count: right passwords give their check back', async (t) => {
    const { at } = await setup(t)
    const c = at('127.0.0.7')
    for (let i = 0; i < 9; i++) t.equal((await c.login('alice@example.com', 'wrong')).status, 401)
    for (let i = 0; i < 5; i++) t.equal((await c.login('alice@example.com', PASSWORD)).status, 200, 'the right password, again and again')
    t.equal((await c.login('alice@example.com', 'wrong')).status, 401, 'the tenth failure is still checked')
    t.equal((await c.login('alice@example.com', 'wrong')).status, 429)
  })

  t.test('the brake grows each time in a row, and a known browser has its own, smaller budget', async (t) => {
    const { at, clock, ownersBrowser } = await setup(t)
    const owner = await ownersBrowser('127.0.0.8')
    const stranger = at('127.0.0.9')
    const exhaust = async () => { for (let i = 0; i < 10; i++) await stranger.login('alice@example.com', 'wrong') }
    await exhaust()
    t.equal((await stranger.login('alice@example.com', 'wrong')).body.retryAfter, 900)
    clock.advance(900)
    await exhaust()
    t.equal((await stranger.login('alice@example.com', 'wrong')).body.retryAfter, 1800, 'the second time: twice as long')
    for (let i = 0; i < 5; i++) t.equal((await owner.login('alice@example.com', 'typo')).status, 401)
    t.equal((await owner.login('alice@example.com', PASSWORD)).status, 429, 'the known browser is braked on its own budget')
    t.equal((await at('127.0.0.11').login('bob@example.com', 'wrong')).status, 401, 'other accounts are not affected')
  })

  t.test('a brake holds into the next window: its first check is not compared', async (t) => {
    const { at, clock, events } = await setup(t)
    clock.advance(450) // half way into a window of 900 s
    const stranger = at('127.0.0.12')
    for (let i = 0; i < 10; i++) await stranger.login('alice@example.com', 'wrong')
    const braked = await stranger.login('alice@example.com', PASSWORD)
    t.equal(braked.status, 429)
    // Into the next window of 900 s, before the brake of 900 s ends.
    const windowMs = 900_000
    clock.advance((windowMs - clock.now() % windowMs) / 1000 + 1)
    const compared = events.filter((e) => e.type === 'login.password_failed').length
    const next = await at('127.0.0.13').login('alice@example.com', PASSWORD)
    t.equal(next.status, 429, 'the right password from a stranger, in a fresh window, while the brake holds')
    t.ok((next.body.retryAfter as number) > 0 && (next.body.retryAfter as number) < 900)
    t.equal(events.filter((e) => e.type === 'login.password_failed').length, compared, 'no password was compared')
    clock.advance(900)
    t.equal((await at('127.0.0.13').login('alice@example.com', PASSWORD)).status, 200, 'after the brake the right password passes')
  })

  t.test('a tampered device cookie, or another account\'s, counts as unknown', async (t) => {
    const { at, ownersBrowser } = await setup(t)
    const alices = await ownersBrowser('127.0.0.12')
    const bobs = await ownersBrowser('127.0.0.13', 'bob')
    const [aliceName, aliceValue] = [...alices.jar].find(([k]) => k.startsWith('mfa_known_'))!
    const [, bobValue] = [...bobs.jar].find(([k]) => k.startsWith('mfa_known_'))!
    const attacker = at('127.0.0.14')
    for (let i = 0; i < 10; i++) await attacker.login('alice@example.com', 'wrong')
    const tampered = at('127.0.0.15')
    tampered.jar.set(aliceName, aliceValue.slice(0, -2) + (aliceValue.endsWith('AA') ? 'BB' : 'AA'))
    t.equal((await tampered.login('alice@example.com', PASSWORD)).status, 429, 'a tampered cookie is no device cookie')
    const moved = at('127.0.0.16')
    moved.jar.set(aliceName, bobValue)
    t.equal((await moved.login('alice@example.com', PASSWORD)).status, 429, 'bob\'s cookie under alice\'s name does not open (it is sealed to bob)')
    const genuine = at('127.0.0.17')
    genuine.jar.set(aliceName, aliceValue)
    t.match((await genuine.login('alice@example.com', PASSWORD)).body, { step: 'mfa' }, 'the genuine cookie does')
  })
})
