import t from 'tap'
import { sha256 } from '@fastify-mfa/core/plugin-kit'
import { eachStore } from '@fastify-mfa/testing'
import { FIREFOX_LINUX, setup } from './helpers.js'

interface ListedDevice { id: string, label: string, createdAt: string, lastUsedAt: string, expiresAt: string, current: boolean }

t.test('GET /mfa/devices lists the user\'s live devices and marks the current one', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser, clock } = await setup(t, store)
    const laptop = browser()
    const desktop = browser(FIREFOX_LINUX)
    await laptop.remember('alice')
    clock.advance(60)
    await desktop.remember('alice')
    await browser().remember('bob')
    await laptop.signInAs('alice')
    const res = await laptop.inject({ url: '/mfa/devices' })
    t.equal(res.statusCode, 200)
    const list = res.json() as ListedDevice[]
    t.equal(list.length, 2, 'bob\'s device is not listed')
    const start = clock.ms - 60_000
    t.same(list, [
      { id: list[0]!.id, label: 'Firefox on Ubuntu', createdAt: new Date(clock.ms).toISOString(), lastUsedAt: new Date(clock.ms).toISOString(), expiresAt: new Date(clock.ms + 30 * 86400_000).toISOString(), current: false },
      { id: list[1]!.id, label: 'Chrome on Windows', createdAt: new Date(start).toISOString(), lastUsedAt: new Date(start).toISOString(), expiresAt: new Date(start + 30 * 86400_000).toISOString(), current: true }
    ], 'most recently used first')
    const token = laptop.jar.get('mfa_device')!
    for (const device of list) {
      t.match(device.id, /^[A-Za-z0-9_-]{22}$/)
      t.not(device.id, token, 'the id is not the token')
      t.not(device.id, sha256(token), 'the id is not the token hash')
    }
  })
})

t.test('expired and stale-stamp devices are not listed or counted', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, browser, clock } = await setup(t, store, { options: { maxAge: 3600 } })
    const old = browser()
    await old.remember('alice')
    clock.advance(1800)
    const recent = browser()
    await recent.remember('alice')
    await recent.signInAs('alice')
    t.equal((await recent.inject({ url: '/mfa/devices' })).json().length, 2)
    t.match((await recent.inject({ url: '/mfa' })).json(), { devices: 2 }, 'GET /mfa summary')
    clock.advance(1800)
    t.equal((await recent.inject({ url: '/mfa/devices' })).json().length, 1, 'the expired one is gone')
    t.match((await recent.inject({ url: '/mfa' })).json(), { devices: 1 })
    await app.mfa.users.changeSecurityStamp('alice')
    t.same((await recent.inject({ url: '/mfa/devices' })).json(), [], 'issued under an older stamp')
    t.match((await recent.inject({ url: '/mfa' })).json(), { devices: 0 })
  })
})

t.test('DELETE /mfa/devices/:id: own device 204, another user\'s 404', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser, events } = await setup(t, store)
    const bobs = browser()
    await bobs.remember('bob')
    await bobs.signInAs('bob')
    const bobsId = ((await bobs.inject({ url: '/mfa/devices' })).json() as ListedDevice[])[0]!.id

    const alice = browser()
    await alice.remember('alice')
    await alice.signInAs('alice')
    const res = await alice.inject({ method: 'DELETE', url: `/mfa/devices/${bobsId}` })
    t.equal(res.statusCode, 404)
    t.same(res.json(), { statusCode: 404, code: 'FST_MFA_NOT_FOUND', error: 'Not Found', message: 'Not found' })
    t.equal(await bobs.check('bob'), true, 'bob\'s device untouched')

    const ownId = ((await alice.inject({ url: '/mfa/devices' })).json() as ListedDevice[])[0]!.id
    const removed = await alice.inject({ method: 'DELETE', url: `/mfa/devices/${ownId}` })
    t.equal(removed.statusCode, 204)
    t.equal(removed.body, '')
    const cleared = removed.cookies.find((c) => c.name === 'mfa_device')
    t.ok(cleared && cleared.expires && cleared.expires.getTime() <= Date.now(), 'the current device\'s cookie is cleared')
    t.same((await alice.inject({ url: '/mfa/devices' })).json(), [])
    t.equal((await alice.inject({ method: 'DELETE', url: `/mfa/devices/${ownId}` })).statusCode, 404, 'already gone')
    t.match(events.filter((e) => e.type === 'device.revoked'), [{ userId: 'alice', details: { deviceId: ownId, reason: 'user' } }])
  })
})

t.test('DELETE /mfa/devices revokes all of the user\'s devices only', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser, events } = await setup(t, store)
    const phone = browser()
    const laptop = browser()
    const bobs = browser()
    await phone.remember('alice')
    await laptop.remember('alice')
    await bobs.remember('bob')
    await laptop.signInAs('alice')
    const res = await laptop.inject({ method: 'DELETE', url: '/mfa/devices' })
    t.equal(res.statusCode, 204)
    t.notOk(laptop.jar.has('mfa_device'), 'cookie cleared')
    t.same((await laptop.inject({ url: '/mfa/devices' })).json(), [])
    t.equal(await phone.check('alice'), false)
    t.equal(await bobs.check('bob'), true)
    t.match(events.filter((e) => e.type === 'device.revoked'), [{ userId: 'alice', details: { count: 2, reason: 'all' } }])
  })
})

t.test('the routes need a signed-in session and valid input', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser, clock } = await setup(t, store)
    const anonymous = browser()
    for (const [method, url] of [['GET', '/mfa/devices'], ['DELETE', '/mfa/devices'], ['DELETE', '/mfa/devices/AAAAAAAAAAAAAAAAAAAAAA']] as const) {
      const res = await anonymous.inject({ method, url })
      t.equal(res.statusCode, 401, `${method} ${url}`)
      t.equal(res.json().code, 'FST_MFA_UNAUTHENTICATED')
    }
    const pending = browser()
    await pending.signIn({ userId: undefined, aal: 0, amr: [], pending: { id: 'p', expiresAt: Math.floor(clock.ms / 1000) + 300, methods: ['totp'] } })
    t.equal((await pending.inject({ url: '/mfa/devices' })).statusCode, 401, 'a pending login is not signed in')

    const alice = browser()
    await alice.signInAs('alice')
    const bad = await alice.inject({ method: 'DELETE', url: '/mfa/devices/not-an-id' })
    t.equal(bad.statusCode, 400)
  })
})
