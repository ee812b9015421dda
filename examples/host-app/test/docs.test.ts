import { createHash } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { SWAGGER_LOGO_STYLE } from '../src/docs.js'
import { startApp } from './helpers.js'

const require = createRequire(import.meta.url)

interface OpenApiDocument { paths: Record<string, Record<string, { tags?: string[] }>> }

/** Starts the app with a root onRoute hook (Fastify announces each new instance on this channel) and returns it with its routes. */
async function appWithRoutes (t: Parameters<typeof startApp>[0], env: Record<string, string> = {}) {
  const routes: Array<{ method: string, url: string }> = []
  const watch = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method: method.toLowerCase(), url: route.url })
    })
  }
  subscribe('fastify.initialization', watch)
  try {
    return { app: await startApp(t, 'memory', env), routes }
  } finally {
    unsubscribe('fastify.initialization', watch)
  }
}

t.test('/docs/json lists every route the app registers under /auth and /mfa', async (t) => {
  const { app, routes } = await appWithRoutes(t)
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc: OpenApiDocument = res.json()
  const pluginRoutes = routes.filter((r) => /^\/(auth|mfa)(\/|$)/.test(r.url))
  t.ok(pluginRoutes.length >= 40, `${pluginRoutes.length} routes under /auth and /mfa`)
  // OpenAPI writes `:id` as `{id}`. A prefixed plugin's `/` route answers at `/mfa` and `/mfa/`, one path in the document.
  const key = (method: string, path: string) => `${method} ${path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => key(m, path))))
  for (const { method, url } of pluginRoutes) {
    t.ok(documented.has(key(method, url)), `${method.toUpperCase()} ${url} is documented`)
  }
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'the docs routes are not in the document')
})

t.test('/docs serves Swagger UI under the app\'s CSP, plus the hash of its logo\'s style on its own routes only', async (t) => {
  const { app } = await appWithRoutes(t)
  const page = await app.inject({ url: '/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<div id="swagger-ui"><\/div>/)
  t.notMatch(page.body, /<script>|<style>|\son[a-z]+=/i, 'no inline script, style or handler for the CSP to refuse')
  const appPolicy = String((await app.inject({ url: '/login' })).headers['content-security-policy'])
  t.match(appPolicy, /(^|;)style-src 'self';/, 'the app\'s pages keep style-src \'self\' alone')
  t.equal(page.headers['content-security-policy'], appPolicy.replace("style-src 'self'", `style-src 'self' ${SWAGGER_LOGO_STYLE}`),
    'the docs get the app\'s policy with the one style hash added')
  // The hash is that of the one inline <style> the installed Swagger UI renders: an upgrade that changes it fails here.
  const preset = await readFile(join(dirname(require.resolve('@fastify/swagger-ui')), 'static', 'swagger-ui-standalone-preset.js'), 'utf8')
  const styles = [...preset.matchAll(/createElement\("style",null,"([^"]*)"\)/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
  t.same(styles, [SWAGGER_LOGO_STYLE])
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-initializer.js', 'swagger-ui.css']) {
    const res = await app.inject({ url: `/docs/static/${asset}` })
    t.equal(res.statusCode, 200, `${asset} is served from the app's own origin`)
  }
})

t.test('in production there is no /docs', async (t) => {
  const { app, routes } = await appWithRoutes(t, { NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:9' })
  t.equal((await app.inject({ url: '/docs' })).statusCode, 404)
  t.equal((await app.inject({ url: '/docs/json' })).statusCode, 404)
  t.ok(routes.some((r) => r.url === '/auth/login'), 'the app itself is there')
  t.equal(app.hasDecorator('swagger'), false, 'no OpenAPI document is built')
})
