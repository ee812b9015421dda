import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/**
 * The OpenAPI document of the app's routes (the plugins' routes carry their bodies, responses and
 * error codes, tagged per package) and Swagger UI at `/docs`, for development: `buildApp` registers
 * it only outside production. It must come before the routes: @fastify/swagger collects each route
 * as it is added.
 *
 * Swagger UI's page loads its scripts and styles as files from `/docs/static/`, so the app-wide CSP of
 * security.ts holds for it with one addition on the `/docs` routes only: the topbar draws Swagger's logo
 * as an SVG with a `<style>` element (swagger-ui-standalone-preset.js) until @fastify/swagger-ui swaps
 * in Fastify's, so `style-src` allows that one style by its hash (test/docs.test.ts checks the hash
 * against the installed Swagger UI). The validator badge would load an image from validator.swagger.io,
 * which the CSP refuses: it is turned off.
 */
export const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"

export async function apiDocs (app: FastifyInstance, { origin }: { origin: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Example Host App', version: '0.1.0', description: 'The example app with every fastify-mfa plugin: the plugins\' routes under /auth and /mfa, and the app\'s own.' },
      servers: [{ url: origin }]
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null },
    // Runs in @fastify/swagger-ui's own scope: the header helmet set, changed for its routes only.
    transformStaticCSP: (header) => header.replace(/(^|;)style-src 'self'/, `$1style-src 'self' ${SWAGGER_LOGO_STYLE}`)
  })
}
