import { loadConfig, type AppConfig } from './config.js'
import { buildApp } from './app.js'

let config: AppConfig
try {
  config = loadConfig()
} catch (err) {
  // A setting that is wrong or missing (SMTP_URL in production, a short SESSION_SECRET …): say which, and stop.
  process.stderr.write(`Example host app: ${(err as Error).message}\n`)
  process.exit(1)
}
const app = await buildApp(config)
await app.listen({ port: config.port, host: config.host })
app.log.info(`Example host app: open ${config.origin}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void app.close().then(() => process.exit(0)) })
}
