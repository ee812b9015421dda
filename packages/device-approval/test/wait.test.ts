import { randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { eachStore, fakeClock, freshStore, storeKinds, type Agent } from '@fastify-mfa/testing'
import { createMemoryStore } from '@fastify-mfa/core'
import { buildApprovalApp } from './helpers.js'

/** Opens `GET /mfa/approvals/stream` with a real HTTP client; collects the events as they arrive. */
async function openStream (port: number, approver: Agent) {
  const cookie = [...approver.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/mfa/approvals/stream', headers: { cookie, accept: 'text/event-stream' } }, resolve).on('error', reject).end()
  })
  const events: Array<{ event: string, data: Record<string, unknown> }> = []
  let text = ''
  let ended = false
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    text += chunk
    for (let at = text.indexOf('\n\n'); at >= 0; at = text.indexOf('\n\n')) {
      const block = text.slice(0, at)
      text = text.slice(at + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event && data) events.push({ event, data: JSON.parse(data) })
    }
  })
  response.on('end', () => { ended = true })
  response.on('error', () => { ended = true })
  return { response, events, get ended () { return ended }, close: () => { response.destroy() } }
}

async function waitFor (what: string, done: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

t.test('verify waits, and wakes at once on a decision made on the same instance', async (t) => {
  await eachStore(t, async (t, store) => {
    // A poll interval longer than the test: only the in-process wake-up can end the wait in time.
    const { approver, signer, start, verify, approve } = await buildApprovalApp(t, store, { options: { waitSeconds: 5, pollInterval: 10_000 } })
    const phone = await approver()
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()
    const began = Date.now()
    const waiting = verify(a, requestId)
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal((await approve(phone, requestId, number)).statusCode, 200)
    const done = await waiting
    t.equal(done.statusCode, 200, done.body)
    t.ok(Date.now() - began < 2000, `answered ${Date.now() - began} ms after it began`)
  })
})

t.test('verify answers 202 after waitSeconds when nobody decides', async (t) => {
  const { approver, signer, start, verify } = await buildApprovalApp(t, 'memory', { options: { waitSeconds: 0.2 } })
  await approver()
  const { a } = await signer()
  const { requestId } = (await start(a)).json()
  const began = Date.now()
  t.equal((await verify(a, requestId)).statusCode, 202)
  t.ok(Date.now() - began >= 190, 'it waited')
})

t.test('the stream announces a new request at once, never its number, and that it ended', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, approver, signer, start, deny } = await buildApprovalApp(t, store, { options: { pollInterval: 10_000 } })
    const phone = await approver()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await openStream((app.server.address() as AddressInfo).port, phone)
    t.equal(stream.response.statusCode, 200)
    t.match(stream.response.headers['content-type'], /^text\/event-stream/)
    t.equal(stream.response.headers['cache-control'], 'no-store')
    const { a } = await signer()
    const { requestId, number } = (await start(a)).json()
    await waitFor('the approval event', () => stream.events.length > 0)
    t.match(stream.events[0], { event: 'approval', data: { id: requestId, purpose: 'login' } })
    t.notOk('number' in stream.events[0]!.data, `no number (${number}) in the event`)
    await deny(phone, requestId)
    await waitFor('the resolved event', () => stream.events.length > 1)
    t.same(stream.events[1], { event: 'resolved', data: { id: requestId } })
    stream.close()
  })
})

t.test('the stream refuses a session below AAL 2 and ends when the app closes', async (t) => {
  const { app, approver } = await buildApprovalApp(t, 'memory', { options: { heartbeatSeconds: 0.05 } })
  const weak = await approver('alice', { aal: 1, amr: ['pwd'], mfaTime: undefined, checks: {} })
  t.equal((await weak.inject({ url: '/mfa/approvals/stream' })).statusCode, 403)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const stream = await openStream(port, await approver())
  let heartbeats = 0
  stream.response.on('data', (chunk: string) => { if (chunk.includes(': heartbeat')) heartbeats++ })
  await waitFor('a heartbeat', () => heartbeats > 0)
  const closing = app.close()
  await waitFor('the stream to end', () => stream.ended)
  await closing
  t.pass('the app closed with a stream open')
})

for (const kind of storeKinds()) {
  t.test(`${kind} store: two instances on one store: a request started on A reaches B's stream, and B's approval ends A's wait`, async (t) => {
    const shared = kind === 'memory' ? createMemoryStore() : await freshStore(t, kind)
    const encryptionKeys = [{ id: 'shared', key: randomBytes(32) }]
    const clock = fakeClock()
    const a = await buildApprovalApp(t, shared, { clock, encryptionKeys, options: { waitSeconds: 5, pollInterval: 20 } })
    const b = await buildApprovalApp(t, shared, { clock, encryptionKeys, options: { waitSeconds: 5, pollInterval: 20 } })
    const phone = await b.approver()
    await b.app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await openStream((b.app.server.address() as AddressInfo).port, phone)
    const { a: laptop, step } = await a.signer()
    t.ok(step.methods.includes('device-approval'), 'A offers it: the session on B can approve')
    const { requestId, number } = (await a.start(laptop)).json()
    await waitFor('B\'s poller to announce A\'s request', () => stream.events.length > 0)
    t.match(stream.events[0], { event: 'approval', data: { id: requestId } })
    const waiting = a.verify(laptop, requestId)
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal((await b.approve(phone, requestId, number)).statusCode, 200)
    const done = await waiting
    t.match(done.json(), { step: 'complete', aal: 2 }, 'A saw B\'s decision in the store')
    t.equal((await a.verify(laptop, requestId)).statusCode, 400, 'spent on both')
    stream.close()
  })
}
