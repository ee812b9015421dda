// Shared pieces of the benchmarks: the load generator (a child process running autocannon), the
// store (MONGODB_URI or memory), apps with TOTP users, RSS after a full GC, small statistics.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MongoClient } from 'mongodb'
import { generateTotpCode } from '@fastify-mfa/totp'

const loadScript = new URL('./load.mjs', import.meta.url)

/** Runs one autocannon job (see load.mjs) in a child process; resolves with its summary. */
export function runLoad (job) {
  return new Promise((resolve, reject) => {
    const child = fork(loadScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let answer = null
    child.once('message', (message) => { answer = message })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (answer?.result) resolve(answer.result)
      else reject(new Error(answer?.error ?? `the load generator exited with code ${code}`))
    })
    child.send(job)
  })
}

/** Listens on a random loopback port; returns the base URL. */
export async function listen (app) {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${app.server.address().port}`
}

/**
 * `MONGODB_URI` (a fresh database, dropped in close) when set, else the memory store.
 * `database(suffix)` gives another fresh database on the same client (dropped too; 'memory' on the
 * memory store), e.g. for a peer library; `client` is the MongoClient (null on the memory store).
 */
export async function openStore () {
  const uri = process.env.MONGODB_URI
  if (!uri) return { store: 'memory', kind: 'memory', client: null, database: () => 'memory', close: async () => {} }
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 }).connect()
  const name = `bench_${randomBytes(5).toString('hex')}`
  const databases = [client.db(name)]
  const kind = process.env.FASTIFY_MFA_TEST_DB ? `mongodb (${process.env.FASTIFY_MFA_TEST_DB})` : 'mongodb'
  return {
    store: databases[0],
    kind,
    client,
    database (suffix) {
      databases.push(client.db(`${name}_${suffix}`))
      return databases.at(-1)
    },
    async close () {
      for (const db of databases) await db.dropDatabase().catch(() => {})
      await client.close()
    }
  }
}

/** A `t` for buildTestApp outside tap: teardowns run in reverse by `close()`. */
export function teardowns () {
  const fns = []
  return { teardown: (fn) => fns.push(fn), close: async () => { for (const fn of fns.reverse()) await fn() } }
}

/** Runs `fn(item, index)` over `items` with at most `limit` at a time. */
export async function pool (items, limit, fn) {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

const cookieOf = (res) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')

/** The cookie of a session signed in with `state`, through buildTestApp's `POST /__test/session`. */
export async function sessionCookie (app, state) {
  const res = await app.inject({ method: 'POST', url: '/__test/session', payload: state })
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`)
  return cookieOf(res)
}

export const TOTP = { algorithm: 'SHA1', digits: 6, period: 30 }

/**
 * Enrols TOTP for each user through the real routes (sign in at aal 1, POST /mfa/totp/setup,
 * POST /mfa/totp/confirm), then moves the clock one period on so the confirm code's step is spent
 * and every user can verify the next step. Returns the users with their secret.
 */
export async function enrolTotp (app, clock, users, concurrency = 8) {
  const enrolled = await pool(users, concurrency, async (user) => {
    const cookie = await sessionCookie(app, { userId: user.id, aal: 1, amr: ['pwd'], authTime: clock.now() / 1000 | 0 })
    const setup = await app.inject({ method: 'POST', url: '/mfa/totp/setup', headers: { cookie }, payload: {} })
    if (setup.statusCode !== 200) throw new Error(`totp setup failed: ${setup.statusCode} ${setup.body}`)
    const { secret } = setup.json()
    const code = await generateTotpCode(secret, TOTP, clock.now() / 1000 | 0)
    const confirm = await app.inject({ method: 'POST', url: '/mfa/totp/confirm', headers: { cookie }, payload: { code } })
    if (confirm.statusCode !== 200) throw new Error(`totp confirm failed: ${confirm.statusCode} ${confirm.body}`)
    return { ...user, secret }
  })
  clock.advance(TOTP.period)
  return enrolled
}

/** Each user's code for the clock's current time step. */
export async function currentCodes (clock, users) {
  const now = clock.now() / 1000 | 0
  return await Promise.all(users.map(async (u) => ({ ...u, code: await generateTotpCode(u.secret, TOTP, now) })))
}

let gc = null
/** RSS in MB after two full garbage collections (`--expose-gc` is turned on at run time). */
export async function settledRssMb () {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc')
  }
  for (let i = 0; i < 2; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().rss / 2 ** 20
}

/** V8 heap in use in MB (read right after settledRssMb's collections). */
export const heapUsedMb = () => process.memoryUsage().heapUsed / 2 ** 20

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const round = (value, digits = 1) => Number(value.toFixed(digits))

/** Throws when a load run had answers other than 2xx (a benchmark that measured errors is void). */
export function assertAllOk (label, summary, expected) {
  if (summary.nonOk > 0 || summary.errors > 0 || summary.timeouts > 0 || (expected !== undefined && summary.ok !== expected)) {
    throw new Error(`${label}: ${summary.ok} ok of ${expected ?? '?'}, status codes ${JSON.stringify(summary.statusCodes)}, ${summary.errors} errors, ${summary.timeouts} timeouts`)
  }
}

/**
 * Whether `value` meets `target` ('>= 2.0', '<= 1.2', '< 1.10', '0'): true, false, or null when
 * there is no value or no target to meet.
 */
export function meets (value, target) {
  if (value === null || value === undefined || typeof target !== 'string') return null
  const match = /^(>=|<=|<|>|==)?\s*(-?[\d.]+)$/.exec(target.trim())
  if (!match) return null
  const bound = Number(match[2])
  switch (match[1] ?? '==') {
    case '>=': return value >= bound
    case '<=': return value <= bound
    case '<': return value < bound
    case '>': return value > bound
    default: return value === bound
  }
}
