import t from 'tap'
import { sha256 } from '@fastify-mfa/core/plugin-kit'
import { eachStore } from '@fastify-mfa/testing'
import type { Db } from 'mongodb'
import { setup } from './helpers.js'

t.test('the store holds only the token\'s SHA-256, with the device details', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, browser, clock, raw } = await setup(t, store)
    const b = browser()
    await b.remember('alice')
    const token = b.jar.get('mfa_device')!
    const docs = await raw('devices')
    t.equal(docs.length, 1)
    const device = docs[0] as unknown as Record<string, unknown>
    t.same(Object.keys(device).sort(),
      ['_id', 'createdAt', 'expiresAt', 'ip', 'label', 'lastUsedAt', 'publicId', 'securityStamp', 'userId'])
    t.equal(device._id, sha256(token))
    t.match(device, {
      userId: 'alice',
      label: 'Chrome on Windows',
      ip: '127.0.0.1',
      securityStamp: await app.mfa.users.securityStamp('alice')
    })
    t.same([device.createdAt, device.lastUsedAt, device.expiresAt],
      [new Date(clock.ms), new Date(clock.ms), new Date(clock.ms + 30 * 86400_000)])
    t.notOk(JSON.stringify(docs).includes(token), 'no copy of the token anywhere in the record')
  })
})

t.test('lastUsedAt slides with each use; the expiry does not', async (t) => {
  await eachStore(t, async (t, store) => {
    const { browser, clock, raw } = await setup(t, store)
    const b = browser()
    await b.remember('alice')
    const issuedAt = clock.ms
    clock.advance(3600)
    t.equal(await b.check('alice'), true)
    clock.advance(86400)
    t.equal(await b.check('alice'), true)
    const [device] = await raw('devices') as unknown as Array<{ lastUsedAt: Date, createdAt: Date, expiresAt: Date }>
    t.same(device!.lastUsedAt, new Date(clock.ms), 'last use')
    t.same(device!.createdAt, new Date(issuedAt))
    t.same(device!.expiresAt, new Date(issuedAt + 30 * 86400_000), 'remembering lasts maxAge from the second factor')
    await b.signInAs('alice')
    t.equal((await b.inject({ url: '/mfa/devices' })).json()[0].lastUsedAt, new Date(clock.ms).toISOString())
    t.equal(await b.check('bob'), false)
    t.same((await raw('devices') as unknown as Array<{ lastUsedAt: Date }>)[0]!.lastUsedAt, new Date(clock.ms),
      'a refused check does not touch the record')
  })
})

t.test('no token in log lines or audit events', async (t) => {
  await eachStore(t, async (t, store) => {
    const logLines: string[] = []
    const { browser, raw, events } = await setup(t, store, { logLines })
    const b = browser()
    await b.remember('alice')
    const token = b.jar.get('mfa_device')!
    t.equal(await b.check('alice'), true)
    await b.signInAs('alice')
    const id = (await b.inject({ url: '/mfa/devices' })).json()[0].id
    await b.inject({ method: 'DELETE', url: `/mfa/devices/${id}` })
    t.match(events.map((e) => e.type), ['device.remembered', 'device.used', 'device.revoked'])
    t.ok(logLines.some((l) => l.includes('device.remembered')), 'events are logged')
    for (const secret of [token, sha256(token)]) {
      t.notOk(logLines.some((l) => l.includes(secret)), 'logs')
      t.notOk(JSON.stringify(events).includes(secret), 'event hooks')
      t.notOk(JSON.stringify(await raw('events')).includes(secret), 'mfa_events')
    }
  })
})

t.test('indexes are created when the server is ready', async (t) => {
  await eachStore(t, async (t, store, kind) => {
    await setup(t, store)
    if (kind === 'memory') {
      t.pass('the memory store keeps no secondary indexes')
      return
    }
    const indexes = await (store as Db).collection('mfa_devices').indexes()
    const names = indexes.map((i) => i.name)
    for (const name of ['user_expiry', 'public_id', 'expiry_ttl']) t.ok(names.includes(name), name)
  })
})
