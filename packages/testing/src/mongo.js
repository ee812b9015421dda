// Finds or starts the MongoDB the tests run against (SPEC §6): MONGODB_URI if set; else FerretDB 1.x
// (SQLite backend) from a `ferretdb` binary, built with Go when missing; else mongodb-memory-server.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, cpSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { MongoClient } from 'mongodb'

const FERRETDB_VERSION = 'v1.24.2'
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB'
const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fastify-mfa', `ferretdb-${FERRETDB_VERSION}`)

const log = (msg) => process.stderr.write(`[test-db] ${msg}\n`)

function run (cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim()
}

/** A binary that runs (`go install` builds of v1.24 panic at start without build/version/version.txt). */
function works (bin) {
  try { return /version: v1\./.test(run(bin, ['--version'])) } catch { return false }
}

function goBin () {
  try { return join(run('go', ['env', 'GOPATH']), 'bin', 'ferretdb') } catch { return null }
}

function candidates () {
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'ferretdb'))
  return [process.env.FERRETDB_BIN, join(cacheDir, 'ferretdb'), ...onPath, goBin()].filter((p) => p && existsSync(p))
}

/** Builds FerretDB with Go into the cache dir; returns the binary path or null. */
function buildFerretDB () {
  try { run('go', ['version']) } catch { return null }
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' }
  // Newer Go refuses FerretDB 1.x's linkname use unless told otherwise.
  const ldflags = '-ldflags=-checklinkname=0'
  log(`building FerretDB ${FERRETDB_VERSION} with Go (once; cached in ${cacheDir})`)
  try {
    run('go', ['install', ldflags, `${FERRETDB_MODULE}/cmd/ferretdb@${FERRETDB_VERSION}`], { env, timeout: 900_000 })
    const installed = goBin()
    if (installed && works(installed)) return installed
    // The module zip lacks the generated build/version/version.txt, so that binary panics at start.
    // Build the same module source with the file written in.
    const src = run('go', ['list', '-m', '-f', '{{.Dir}}', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { env })
    const work = mkdtempSync(join(tmpdir(), 'ferretdb-src-'))
    cpSync(src, work, { recursive: true })
    run('chmod', ['-R', 'u+w', work])
    writeFileSync(join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`)
    mkdirSync(cacheDir, { recursive: true })
    const out = join(cacheDir, 'ferretdb')
    run('go', ['build', ldflags, '-o', out, './cmd/ferretdb'], { cwd: work, env, timeout: 900_000 })
    rmSync(work, { recursive: true, force: true })
    chmodSync(out, 0o755)
    return works(out) ? out : null
  } catch (err) {
    log(`FerretDB build failed: ${String(err.stderr ?? err.message).slice(-2000)}`)
    return null
  }
}

export function findFerretDB () {
  return candidates().find(works) ?? buildFerretDB()
}

function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function waitForMongo (uri, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  let lastError
  while (Date.now() < deadline) {
    if (child?.exitCode != null) throw new Error(`the database process exited with code ${child.exitCode}`)
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000 })
    try {
      await client.db('admin').command({ ping: 1 })
      return
    } catch (err) {
      lastError = err
      await new Promise((resolve) => setTimeout(resolve, 200))
    } finally {
      await client.close().catch(() => {})
    }
  }
  throw new Error(`the database did not answer within ${timeoutMs} ms: ${lastError?.message}`)
}

async function startFerretDB (bin) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fastify-mfa-ferretdb-'))
  const port = await freePort()
  const child = spawn(bin, [
    '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--state-dir=${dataDir}`,
    `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000) })
  const uri = `mongodb://127.0.0.1:${port}/`
  try {
    await waitForMongo(uri, child)
  } catch (err) {
    child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
    throw new Error(`FerretDB did not start: ${err.message}\n${stderr}`)
  }
  return {
    uri,
    kind: `FerretDB ${FERRETDB_VERSION} (SQLite) on 127.0.0.1:${port}`,
    async stop () {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.exitCode != null ? resolve() : child.once('exit', resolve))
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

async function startMongoMemoryServer () {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core')
  const server = await MongoMemoryServer.create({ instance: { ip: '127.0.0.1' } })
  return { uri: server.getUri(), kind: 'mongodb-memory-server', stop: async () => { await server.stop() } }
}

/** Returns `{ uri, kind, stop }`; `stop` only stops what this call started. */
export async function startTestMongo () {
  if (process.env.MONGODB_URI) {
    return { uri: process.env.MONGODB_URI, kind: 'MONGODB_URI', stop: async () => {} }
  }
  const problems = []
  const ferret = findFerretDB()
  if (ferret) {
    try { return await startFerretDB(ferret) } catch (err) { problems.push(err.message) }
  } else {
    problems.push(`no working ferretdb binary (PATH, ${cacheDir}, $(go env GOPATH)/bin) and no Go to build ${FERRETDB_MODULE}@${FERRETDB_VERSION}`)
  }
  try { return await startMongoMemoryServer() } catch (err) { problems.push(`mongodb-memory-server: ${err.message}`) }
  throw new Error('No MongoDB for the tests. Set MONGODB_URI to a running server, install Go so FerretDB ' +
    `${FERRETDB_VERSION} can be built (or put a ferretdb binary on PATH), or allow mongodb-memory-server ` +
    `to download mongod.\n- ${problems.join('\n- ')}`)
}
