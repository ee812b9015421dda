import { request as httpRequest } from 'node:http'

/**
 * A real HTTP client bound to one loopback source address (`127.0.0.x`), with its own cookie jar,
 * like one browser on one network: per-address rules see `localAddress` as `request.ip`.
 */
export function httpClient (port, localAddress) {
  const jar = new Map()
  const send = (method, path, body) => new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body)
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method,
      localAddress,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'content-length': Buffer.byteLength(payload),
        ...(cookie ? { cookie } : {})
      }
    }, (res) => {
      for (const c of [res.headers['set-cookie'] ?? []].flat()) {
        const [pair] = c.split(';')
        const at = pair.indexOf('=')
        const [name, value] = [pair.slice(0, at), pair.slice(at + 1)]
        if (/max-age=0/i.test(c) || value === '') jar.delete(name)
        else jar.set(name, value)
      }
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => {
        let json = {}
        try { json = text ? JSON.parse(text) : {} } catch { json = { text } }
        resolve({ status: res.statusCode, body: json, headers: res.headers })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
  return {
    jar,
    localAddress,
    post: (path, body = {}) => send('POST', path, body),
    get: (path) => send('GET', path),
    login: (login, password) => send('POST', '/auth/login', { login, password })
  }
}
