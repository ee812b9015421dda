import t from 'tap'
import { agent, buildTestApp, fakeClock } from '@fastify-mfa/testing'
import mfaCore from '../src/index.js'
import { setupMfaRoutes } from '../src/pluginKit.js'

const ORIGIN = 'https://app.example.com'

// A plugin-like route scope: what every fastify-mfa package gets from setupMfaRoutes.
async function setup (t: Parameters<typeof buildTestApp>[0], coreOptions: Record<string, unknown> = { origins: [ORIGIN] }) {
  const clock = fakeClock()
  const calls: unknown[] = []
  const app = await buildTestApp(t, {
    core: mfaCore,
    store: 'memory',
    clock,
    coreOptions,
    routes: async (app) => {
      await app.register(async (routes) => {
        setupMfaRoutes(routes)
        routes.post<{ Body: { code: string } }>('/change', {
          schema: { body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', pattern: '^[0-9]{6}$' } } } }
        }, async (request) => { calls.push(request.body); return { ok: true } })
        routes.post('/empty', async () => { calls.push('empty'); return { ok: true } })
        routes.post('/contact', { schema: { body: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } } } }, async () => ({ ok: true }))
        routes.get<{ Querystring: { n: number } }>('/read', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (request) => ({ n: request.query.n }))
      }, { prefix: '/plugin' })
    }
  })
  return { app, calls, clock }
}

const post = (app: Awaited<ReturnType<typeof setup>>['app'], headers: Record<string, string>, payload: unknown = { code: '012345' }, url = '/plugin/change') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })

t.test('regression: a request from a page of another origin is refused before anything changes', async (t) => {
  const { app, calls } = await setup(t)
  const foreign = await post(app, { origin: 'https://evil.example.com' })
  t.equal(foreign.statusCode, 403)
  t.equal(foreign.json().code, 'FST_MFA_ORIGIN_REFUSED')
  t.equal((await post(app, { origin: 'null' })).statusCode, 403, 'an opaque origin')
  t.equal((await post(app, { 'sec-fetch-site': 'cross-site' })).statusCode, 403, 'Sec-Fetch-Site: cross-site without Origin')
  t.equal((await post(app, { origin: ORIGIN, 'sec-fetch-site': 'cross-site' })).statusCode, 403, 'cross-site wins over a right Origin')
  t.same(calls, [], 'no handler ran')
  t.equal((await post(app, { origin: ORIGIN, 'sec-fetch-site': 'same-origin' })).statusCode, 200, 'the configured origin')
  t.equal((await post(app, {})).statusCode, 200, 'a client without these headers is judged by the other rules')
  t.equal((await app.inject({ url: '/plugin/read', headers: { origin: 'https://evil.example.com' } })).statusCode, 200, 'reads are not refused')
})

t.test('without configured origins, the origin the request was sent to is the only one', async (t) => {
  const { app } = await setup(t, {})
  t.equal((await post(app, { origin: 'http://localhost:80', host: 'localhost:80' })).statusCode, 200)
  t.equal((await post(app, { origin: 'http://other.localhost', host: 'localhost:80' })).statusCode, 403)
})

t.test('regression: a body that is not JSON gets 415 and changes nothing (no CORS preflight for text/plain)', async (t) => {
  const { app, calls } = await setup(t)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await post(app, { 'content-type': type }, 'code=012345')
    t.equal(res.statusCode, 415, type)
    t.equal(res.json().code, 'FST_MFA_UNSUPPORTED_MEDIA_TYPE')
  }
  const empty = await app.inject({ method: 'POST', url: '/plugin/empty', headers: { 'content-type': 'text/plain' }, payload: '' })
  t.equal(empty.statusCode, 415, 'an empty text/plain body too')
  t.same(calls, [])
  t.equal((await app.inject({ method: 'POST', url: '/plugin/empty' })).statusCode, 200, 'no body at all is fine')
  t.equal((await post(app, { 'content-type': 'application/json; charset=utf-8' })).statusCode, 200)
})

t.test('regression: no type coercion of bodies — a JSON number where a code string belongs is a 400', async (t) => {
  const { app, calls } = await setup(t)
  const res = await post(app, {}, { code: 12345 })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'FST_ERR_VALIDATION')
  t.same(calls, [], 'not counted as a guess')
  t.same((await app.inject({ url: '/plugin/read?n=7' })).json(), { n: 7 }, 'query strings are still read as numbers')
})

t.test('every answer of the plugin routes sends cache-control: no-store', async (t) => {
  const { app } = await setup(t)
  for (const res of [await post(app, {}), await post(app, { origin: 'https://evil.example.com' }), await app.inject({ url: '/plugin/read' }), await agent(app).inject({ url: '/mfa/sessions' })]) {
    t.equal(res.headers['cache-control'], 'no-store', `${res.statusCode}`)
  }
})

t.test('the option "origins" is checked at startup', async (t) => {
  await t.rejects(buildTestApp(t, { core: mfaCore, store: 'memory', coreOptions: { origins: ['https://x.example/path'] } }), /origins/)
})

t.test('the strict validator knows Fastify\'s formats: a schema with format "email" works', async (t) => {
  const { app } = await setup(t)
  t.equal((await post(app, {}, { email: 'ada@example.com' }, '/plugin/contact')).statusCode, 200)
  t.equal((await post(app, {}, { email: 'not an address' }, '/plugin/contact')).statusCode, 400)
})
