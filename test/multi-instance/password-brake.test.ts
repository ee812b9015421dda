import t from 'tap'
import { httpClient } from '@fastify-mfa/testing'
import type { FastifyInstance } from 'fastify'
import { PASSWORD, randomEmail, sharedDatabase, totpUser, twoInstances } from './cluster.js'

// SPEC §8 "Throttling": real HTTP to two example-app instances, from several loopback source addresses.
const db = await sharedDatabase(t)
if (db) {
  const listening = async (app: FastifyInstance): Promise<number> => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    return (app.server.address() as { port: number }).port
  }
  async function cluster (t: Parameters<typeof twoInstances>[0]) {
    const { a, b } = await twoInstances(t, db!)
    const [portA, portB] = [await listening(a), await listening(b)]
    return { a, b, onA: (address: string) => httpClient(portA, address), onB: (address: string) => httpClient(portB, address) }
  }

  t.test('an attacker who knows only the login cannot keep the owner, on a browser that signed in before, from the second factor', async (t) => {
    const { a, b, onA, onB } = await cluster(t)
    const { email, backupCodes } = await totpUser({ a, b }, randomEmail('owner'), Date.now())
    const owner = onA('127.0.0.3')
    t.match((await owner.login(email, PASSWORD)).body, { step: 'mfa' })
    t.equal((await owner.post('/auth/login/verify', { method: 'backup-code', code: backupCodes[0] })).status, 200)
    await owner.post('/auth/logout')
    const attacker = onB('127.0.0.2')
    for (let i = 0; i < 10; i++) t.equal((await attacker.login(email, `guess ${i}`)).status, 401)
    const braked = await attacker.login(email, 'guess 10')
    t.match(braked, { status: 429, body: { code: 'FST_MFA_RATE_LIMITED' } })
    t.ok(Number(braked.headers['retry-after']) > 0)
    t.equal((await onA('127.0.0.4').login(email, 'another guess')).status, 429, 'on the other instance, from another address too')
    const ownerOnB = httpClient((b.server.address() as { port: number }).port, '127.0.0.3')
    for (const [k, v] of owner.jar) ownerOnB.jar.set(k, v)
    t.match((await ownerOnB.login(email, PASSWORD)).body, { step: 'mfa' }, 'the owner\'s browser reaches the second factor, on either instance')
  })

  t.test('a burst of guesses spread over 60 addresses and two instances: no more than the threshold evaluated', async (t) => {
    const { a, b, onA, onB } = await cluster(t)
    const { email } = await totpUser({ a, b }, randomEmail('burst'), Date.now())
    const answers = await Promise.all(Array.from({ length: 60 }, async (_, i) => await (i % 2 ? onA : onB)(`127.0.1.${i + 1}`).login(email, `guess ${i}`)))
    const evaluated = answers.filter((x) => x.status === 401).length
    t.ok(evaluated <= 10 && evaluated > 0, `${evaluated} of 60 passwords compared`)
    t.equal(answers.filter((x) => x.status === 429).length, 60 - evaluated)
  })

  t.test('a known and an unknown login are throttled alike', async (t) => {
    const { a, b, onA, onB } = await cluster(t)
    const { email } = await totpUser({ a, b }, randomEmail('known'), Date.now())
    const statuses = async (login: string, address: string) => {
      const out: Array<[number, unknown]> = []
      for (let i = 0; i < 12; i++) {
        const x = await (i % 2 ? onA : onB)(address).login(login, `guess ${i}`)
        out.push([x.status, x.body.code])
      }
      return out
    }
    t.same(await statuses(email, '127.0.2.1'), await statuses(randomEmail('nobody'), '127.0.2.2'))
  })
}
