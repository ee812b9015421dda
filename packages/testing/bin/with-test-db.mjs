#!/usr/bin/env node
// Runs a command with MONGODB_URI pointing at the test database (started here when not given),
// then stops what it started: `with-test-db turbo run test`.
import { spawn } from 'node:child_process'
import { startTestMongo } from '../src/mongo.js'

const [cmd, ...args] = process.argv.slice(2)
if (!cmd) {
  process.stderr.write('usage: with-test-db COMMAND [ARGS...]\n')
  process.exit(2)
}
const db = await startTestMongo()
process.stderr.write(`[test-db] MongoDB for this run: ${db.kind}\n`)
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, MONGODB_URI: db.uri, FASTIFY_MFA_TEST_DB: db.kind } })
const forward = (signal) => child.kill(signal)
process.on('SIGINT', forward)
process.on('SIGTERM', forward)
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
await db.stop()
process.exit(code)
