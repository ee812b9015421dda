import t from 'tap'
import { agent, buildTestApp, eachStore, fakeClock, freshStore } from '@fastify-mfa/testing'
import mfaCore, { type MfaEvent } from '../src/index.js'

const nowSec = (clock: { ms: number }) => Math.floor(clock.ms / 1000)
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

await eachStore(t, async (t, _store, kind) => {
  async function setup (t: Parameters<typeof buildTestApp>[0], coreOptions: Record<string, unknown> = {}) {
    const clock = fakeClock()
    const app = await buildTestApp(t, {
      core: mfaCore,
      store: await freshStore(t, kind),
      clock,
      coreOptions,
      routes: (app) => {
        app.get('/whoami', async (request) => ({ userId: request.mfa.userId }))
        // A host's password change, as the example app does it.
        app.post('/password', { preHandler: app.mfa.guards.signedIn }, async (request) => {
          await app.mfa.securityStampChanged(request.mfa.userId!, { request, reason: 'password_changed' })
          return { ok: true }
        })
      }
    })
    const events: MfaEvent[] = []
    app.mfa.on('*', (e) => { events.push(e) })
    const signIn = async (userId: string, userAgent = CHROME) => {
      const a = agent(app)
      await a.inject({ method: 'POST', url: '/__test/session', payload: { userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(clock), mfaTime: nowSec(clock) }, headers: { 'user-agent': userAgent } })
      return a
    }
    const whoami = async (a: ReturnType<typeof agent>) => (await a.inject({ url: '/whoami' })).json().userId
    return { app, clock, events, signIn, whoami }
  }

  t.test('every signed-in session is listed, newest first, with its device and the current one marked', async (t) => {
    const { app, clock, signIn } = await setup(t)
    const laptop = await signIn('alice')
    clock.advance(60)
    const phone = await signIn('alice', 'curl/8.0')
    await signIn('bob')
    const list = (await phone.inject({ url: '/mfa/sessions' })).json()
    t.equal(list.length, 2, 'only alice\'s sessions')
    t.match(list, [{ label: 'Unknown device', current: true, ip: '127.0.0.1' }, { label: 'Chrome on Windows', current: false }])
    t.ok(new Date(list[0].createdAt) > new Date(list[1].createdAt))
    t.equal((await laptop.inject({ url: '/mfa/sessions' })).json().filter((s: { current: boolean }) => s.current).length, 1)
    // The registry never holds a session id in clear.
    const records = await app.mfa.collection('sessions').find({})
    const cookieIds = [...laptop.jar.values(), ...phone.jar.values()].map((v) => decodeURIComponent(v).split('.')[0]!)
    for (const id of cookieIds) t.notMatch(JSON.stringify(records), id, 'no session id stored')
  })

  t.test('DELETE /mfa/sessions/:id signs that session out; another user\'s or an unknown id is 404', async (t) => {
    const { signIn, whoami, events } = await setup(t)
    const laptop = await signIn('alice')
    const phone = await signIn('alice')
    const bob = await signIn('bob')
    const laptopSession = (await phone.inject({ url: '/mfa/sessions' })).json().find((s: { current: boolean }) => !s.current)
    const bobSession = (await bob.inject({ url: '/mfa/sessions' })).json()[0]
    t.equal((await phone.inject({ method: 'DELETE', url: `/mfa/sessions/${bobSession.id}` })).json().code, 'FST_MFA_NOT_FOUND')
    t.equal((await phone.inject({ method: 'DELETE', url: '/mfa/sessions/AAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 404)
    t.equal(await whoami(bob), 'bob', 'bob is still signed in')
    t.equal((await phone.inject({ method: 'DELETE', url: `/mfa/sessions/${laptopSession.id}` })).statusCode, 204)
    t.equal(await whoami(laptop), null, 'the laptop is signed out')
    t.equal(await whoami(phone), 'alice')
    t.equal((await phone.inject({ url: '/mfa/sessions' })).json().length, 1)
    t.ok(events.some((e) => e.type === 'session.ended' && e.userId === 'alice'))
  })

  t.test('DELETE /mfa/sessions ends every other session of the user', async (t) => {
    const { signIn, whoami } = await setup(t)
    const [a, b, c] = [await signIn('alice'), await signIn('alice'), await signIn('alice')]
    const bob = await signIn('bob')
    t.equal((await c.inject({ method: 'DELETE', url: '/mfa/sessions' })).statusCode, 204)
    t.same([await whoami(a), await whoami(b), await whoami(c), await whoami(bob)], [null, null, 'alice', 'bob'])
  })

  t.test('regression: a security change ends every other session at once; the one that made it goes on with a new id', async (t) => {
    const { signIn, whoami, events } = await setup(t)
    const other = await signIn('alice')
    const current = await signIn('alice')
    const before = current.jar.get('sessionId')
    t.equal((await current.inject({ method: 'POST', url: '/password' })).statusCode, 200)
    t.equal(await whoami(other), null, 'the other session is signed out')
    t.equal(await whoami(current), 'alice', 'the current one goes on')
    t.not(current.jar.get('sessionId'), before, 'with a new session id')
    t.equal((await current.inject({ url: '/mfa/sessions' })).json().length, 1)
    t.match(events.find((e) => e.type === 'security_stamp.changed'), { details: { reason: 'password_changed', sessionsEnded: 1 } })
  })

  t.test('forgetUser deletes every MFA record of the user and ends all their sessions', async (t) => {
    const { app, signIn, whoami } = await setup(t)
    const a = await signIn('alice')
    const bob = await signIn('bob')
    await app.mfa.emit('something', { userId: 'alice' })
    await app.mfa.users.securityStamp('alice')
    await app.mfa.forgetUser('alice')
    t.equal(await whoami(a), null)
    t.equal(await whoami(bob), 'bob')
    t.same(await app.mfa.events.recent('alice', 10), [])
    t.equal(await app.mfa.collection('users').findOne({ _id: 'alice' }), null)
    t.same(await app.mfa.collection('sessions').find({ userId: 'alice' }), [])
  })

  t.test('a session reads as signed out after sessionLifetime, whatever its cookie says', async (t) => {
    const { clock, signIn, whoami } = await setup(t, { sessionLifetime: 3600 })
    const a = await signIn('alice')
    clock.advance(3599)
    t.equal(await whoami(a), 'alice')
    clock.advance(1)
    t.equal(await whoami(a), null)
  })

  t.test('a session whose record was ended is signed out when next seen, even if the store kept it', async (t) => {
    const { app, clock, signIn, whoami } = await setup(t)
    const a = await signIn('alice')
    await app.mfa.collection('sessions').deleteMany({ userId: 'alice' }) // as if a store had brought the session back
    clock.advance(301)
    t.equal((await a.inject({ url: '/mfa/sessions' })).statusCode, 401, 'the check itself signs it out')
    t.equal(await whoami(a), null)
  })
})

t.test('ending sessions outside a request needs the session store (option sessionStore or an earlier sign-in)', async (t) => {
  const app = await buildTestApp(t, { core: mfaCore, store: 'memory' })
  await app.mfa.users.securityStamp('nobody')
  t.equal(await app.mfa.sessions.endAll('nobody'), 0, 'nothing to end, nothing needed')
})
