// The load generator, run as a child process (bench/lib/harness.mjs forks it) so that autocannon
// neither shares the server's event loop nor counts in the server process's RSS. It receives one
// job over IPC, runs autocannon against 127.0.0.1 and answers with a summary.
//
// Job: { url, connections, amount?, duration?, method, path, headers?, body?, scenario, data }
//   scenario 'fixed'  — the same request every time
//   scenario 'bodies' — request i sends data.bodies[i] (each body used at most once, e.g. one mfaToken each)
//                       and, when data.cookies is given, the cookie header data.cookies[i] (e.g. the
//                       session or two-factor challenge its password step left)
//   scenario 'totpCodes' — request i sends data.requests[i].cookie and .body with the code of
//                       .secret for the wall clock when it is sent (a peer whose codes run on real time)
//   scenario 'login'  — per user in data.users, as a browser does it: POST /auth/login,
//                       POST /auth/login/verify with the mfaToken from the answer, the user's code and
//                       the session cookie, POST /auth/logout with the signed-in session's cookie
import autocannon from 'autocannon'
import { decodeBase32, totpNow } from './totpNow.mjs'

const json = { 'content-type': 'application/json' }

function fixed (job) {
  return [{ method: job.method, path: job.path, headers: job.headers, body: job.body }]
}

function bodies (job) {
  const list = job.data.bodies
  const cookies = job.data.cookies
  let next = 0
  return [{
    method: job.method,
    path: job.path,
    headers: { ...json, ...job.headers },
    // Never wraps: a body used twice would be a replay and show up as a non-2xx answer.
    setupRequest (request) {
      const i = Math.min(next++, list.length - 1)
      return cookies ? { ...request, headers: { ...request.headers, cookie: cookies[i] }, body: list[i] } : { ...request, body: list[i] }
    }
  }]
}

/**
 * Request i sends data.requests[i].cookie and the body data.requests[i].body with `code` set to
 * the TOTP code of data.requests[i].secret (base32) for the wall clock at the moment it is sent.
 */
function totpCodes (job) {
  const list = job.data.requests.map((r) => ({ ...r, key: decodeBase32(r.secret) }))
  let next = 0
  return [{
    method: job.method,
    path: job.path,
    headers: { ...json, ...job.headers },
    setupRequest (request) {
      const one = list[Math.min(next++, list.length - 1)]
      return { ...request, headers: { ...request.headers, cookie: one.cookie }, body: JSON.stringify({ ...one.body, code: totpNow(one.key) }) }
    }
  }]
}

/** The cookies an answer sets, merged into `jar` (name → value) as a browser keeps them; returns the Cookie header. */
function keepCookies (jar, headers) {
  const set = headers['set-cookie'] ?? headers['Set-Cookie'] ?? []
  for (const line of Array.isArray(set) ? set : [set]) {
    const [pair] = String(line).split(';')
    const at = pair.indexOf('=')
    if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1))
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

function login (job) {
  const users = job.data.users
  let next = 0
  return [
    {
      method: 'POST',
      path: '/auth/login',
      headers: json,
      setupRequest (request, context) {
        context.user = users[Math.min(next++, users.length - 1)]
        // Each sign-in is a new browser: its cookies are its own.
        context.jar = new Map()
        return { ...request, body: JSON.stringify({ login: context.user.email, password: context.user.password }) }
      },
      onResponse (status, body, context, headers) {
        context.mfaToken = status === 200 ? JSON.parse(body).mfaToken : 'x'.repeat(43)
        context.cookie = keepCookies(context.jar, headers)
      }
    },
    {
      method: 'POST',
      path: '/auth/login/verify',
      headers: json,
      setupRequest: (request, context) => ({
        ...request,
        headers: { ...request.headers, cookie: context.cookie },
        body: JSON.stringify({ mfaToken: context.mfaToken, method: 'totp', code: context.user.code })
      }),
      onResponse (status, body, context, headers) { context.cookie = keepCookies(context.jar, headers) }
    },
    {
      method: 'POST',
      path: '/auth/logout',
      setupRequest: (request, context) => ({ ...request, headers: { ...request.headers, cookie: context.cookie } })
    }
  ]
}

const scenarios = { fixed, bodies, totpCodes, login }

async function runJob (job) {
  const started = process.hrtime.bigint()
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    // autocannon reports 'done' only at its next sample tick: with the default 1 s an amount-bound
    // run would be timed up to a second long.
    sampleInt: 20,
    ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
    requests: scenarios[job.scenario](job)
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]))
  return {
    seconds,
    ok: result['2xx'],
    nonOk: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    okPerSecond: result['2xx'] / seconds,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99
  }
}

process.once('message', async (job) => {
  try {
    process.send({ result: await runJob(job) })
  } catch (err) {
    process.send({ error: err?.stack ?? String(err) })
  }
  process.disconnect()
})
