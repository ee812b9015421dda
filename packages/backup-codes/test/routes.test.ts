import t from 'tap'
import { agent, eachStore } from '@fastify-mfa/testing'
import { freshUser, nowSec, regenerate, setup, verify } from './helpers.js'

t.test('GET /mfa/backup-codes reports remaining and createdAt; GET /mfa has the summary', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const user = await freshUser(app, clock)
    t.same((await user.inject({ url: '/mfa/backup-codes' })).json(), { remaining: 0, createdAt: null })
    const generatedAt = new Date(clock.ms).toISOString()
    const codes = await regenerate(user)
    clock.advance(3600)
    await verify(app, 'u1', codes[3]!)
    const res = await user.inject({ url: '/mfa/backup-codes' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { remaining: 9, createdAt: generatedAt })
    t.match((await user.inject({ url: '/mfa' })).json(), { backupCodes: { remaining: 9 } })
  })
})

t.test('POST /mfa/backup-codes returns the codes once, formatted, not cached', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const user = await freshUser(app, clock)
    const res = await user.inject({ method: 'POST', url: '/mfa/backup-codes' })
    t.equal(res.statusCode, 200, 'no body is fine')
    t.equal(res.headers['cache-control'], 'no-store')
    t.same(Object.keys(res.json()), ['codes'])
    for (const code of res.json().codes) t.match(code, /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/)
  })
})

t.test('the routes need a signed-in session; a pending login gets 401', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const anonymous = agent(app)
    t.equal((await anonymous.inject({ url: '/mfa/backup-codes' })).json().code, 'FST_MFA_UNAUTHENTICATED')
    t.equal((await anonymous.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })).statusCode, 401)
    const pending = agent(app)
    await pending.signIn({ userId: undefined, aal: 0, amr: [], pending: { id: 'p', expiresAt: nowSec(clock) + 300, methods: ['totp'] } })
    t.equal((await pending.inject({ url: '/mfa/backup-codes' })).statusCode, 401)
    t.equal((await pending.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })).statusCode, 401)
  })
})

t.test('regenerating needs a fresh second factor when the user has one', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store, { primaryFactor: true })
    const user = await freshUser(app, clock)
    const codes = await regenerate(user)
    clock.advance(301)
    const stale = await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })
    t.equal(stale.statusCode, 403)
    t.equal(stale.json().code, 'FST_MFA_STEP_UP_REQUIRED')
    t.ok(stale.json().methods.includes('totp'), 'lists the factors that would satisfy it')
    t.ok((await verify(app, 'u1', codes[0]!)).ok, 'the refused request changed nothing')
    t.equal((await user.inject({ url: '/mfa/backup-codes' })).statusCode, 200, 'reading needs no freshness')
    const remembered = agent(app)
    await remembered.signIn({ userId: 'u1', aal: 2, amr: ['pwd', 'rmd'], authTime: nowSec(clock) })
    t.equal((await remembered.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })).statusCode, 403, 'a remembered device is never fresh')
  })
})

t.test('a user without a primary factor may generate codes without step-up', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const user = agent(app)
    await user.signIn({ userId: 'u1', aal: 1, amr: ['pwd'], authTime: nowSec(clock) })
    t.equal((await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })).statusCode, 200)
  })
})

t.test('wrong input shape is 400 and changes nothing', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const user = await freshUser(app, clock)
    const codes = await regenerate(user)
    for (const payload of ['{"count":100}', '[1,2]', '"codes"', '42']) {
      const res = await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload, headers: { 'content-type': 'application/json' } })
      t.equal(res.statusCode, 400, JSON.stringify(payload))
    }
    t.ok((await verify(app, 'u1', codes[0]!)).ok, 'old set still live')
  })
})

t.test('no code or hash in responses (after generation) or in any log line', async (t) => {
  await eachStore(t, async (t, store) => {
    const logLines: string[] = []
    const { app, clock } = await setup(t, store, { logLines })
    const user = await freshUser(app, clock)
    const codes = await regenerate(user)
    const bodies: string[] = []
    bodies.push((await user.inject({ url: '/mfa/backup-codes' })).body)
    t.ok((await verify(app, 'u1', codes[0]!)).ok)
    await verify(app, 'u1', codes[0]!)
    await verify(app, 'u1', 'zzzz-zzzz-zzzz')
    bodies.push((await user.inject({ url: '/mfa/backup-codes' })).body)
    bodies.push((await user.inject({ url: '/mfa' })).body)
    clock.advance(301)
    bodies.push((await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload: { x: 1 } })).body)
    const text = bodies.join('\n') + logLines.join('')
    t.ok(logLines.length > 5, 'logs were captured')
    t.ok(logLines.some((l) => l.includes('backup_codes.used')), 'the use was logged')
    for (const code of codes) {
      t.notOk(text.includes(code) || text.includes(code.replaceAll('-', '')), 'no code')
    }
    t.notMatch(text, /\$2[aby]\$/, 'no bcrypt hash')
  })
})
