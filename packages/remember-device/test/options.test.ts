import t from 'tap'
import { deviceLabel } from '@fastify-mfa/core/plugin-kit'
import { resolveOptions } from '../src/options.js'
import { CHROME_WINDOWS, FIREFOX_LINUX } from './helpers.js'

t.test('defaults', async (t) => {
  t.same(resolveOptions({}, '/mfa'), { cookieName: 'mfa_device', maxAge: 2592000, secure: 'auto', prefix: '/mfa', collection: 'devices' })
  t.equal(resolveOptions({ prefix: '/account/mfa' }, '/mfa').prefix, '/account/mfa')
})

t.test('bad options throw a TypeError naming the option', async (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ cookieName: '' }, /"cookieName"/],
    [{ cookieName: 'a b' }, /"cookieName"/],
    [{ cookieName: '__Host-x' }, /"cookieName"/],
    [{ maxAge: 0 }, /"maxAge"/],
    [{ maxAge: 1.5 }, /"maxAge"/],
    [{ maxAge: 401 * 24 * 3600 }, /"maxAge"/],
    [{ secure: 'yes' }, /"secure"/],
    [{ prefix: 'mfa' }, /"prefix"/],
    [{ collection: 'a.b' }, /"collection"/]
  ]
  for (const [options, message] of bad) {
    t.throws(() => resolveOptions(options, '/mfa'), { name: 'TypeError', message }, JSON.stringify(options))
    t.throws(() => resolveOptions(options, '/mfa'), /^@fastify-mfa\/remember-device: /)
  }
})

t.test('deviceLabel: browser and OS from the User-Agent', async (t) => {
  t.equal(deviceLabel(CHROME_WINDOWS), 'Chrome on Windows')
  t.equal(deviceLabel(FIREFOX_LINUX), 'Firefox on Ubuntu')
  t.equal(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1'), 'Mobile Safari on iOS')
  t.equal(deviceLabel(undefined), 'Unknown device')
  t.equal(deviceLabel('curl/8.0'), 'Unknown device', 'not a browser')
  t.equal(deviceLabel('x'.repeat(100_000)), 'Unknown device', 'a huge header is cut before parsing')
})
