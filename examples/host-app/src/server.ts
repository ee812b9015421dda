import { loadConfig } from './config.js'
import { buildApp } from './app.js'

const config = loadConfig()
const app = await buildApp(config)
await app.listen({ port: config.port, host: config.host })
app.log.info(`Example host app: open ${config.origin}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void app.close().then(() => process.exit(0)) })
}
