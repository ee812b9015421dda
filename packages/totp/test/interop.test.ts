import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { buildTotpApp } from './helpers.js'

const run = promisify(execFile)

/** The code the Debian `oathtool` computes for `secret` (base32) at the fake clock's time. */
async function oathtool (secret: string, epochMs: number, extra: string[] = ['--totp']): Promise<string> {
  const now = new Date(epochMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  const { stdout } = await run('oathtool', [...extra, '-b', '--now', now, secret])
  return stdout.trim()
}

async function decodeQr (dataUrl: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'totp-qr-'))
  try {
    const file = join(dir, 'qr.png')
    await writeFile(file, Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'))
    const { stdout } = await run('zbarimg', ['--raw', '-q', file])
    return stdout.replace(/\n$/, '')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

t.test('a code computed by oathtool is accepted (SHA1, 6 digits)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, app, clock, signInPassword } = await buildTotpApp(t, store)
    await signInPassword()
    const { secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code: await oathtool(secret, clock.ms) } })
    t.equal(confirm.statusCode, 200, confirm.body)
    clock.advance(95)
    const factor = app.mfa.factors.get('totp')!
    t.match(await factor.verifyCode!('u1', await oathtool(secret, clock.ms), undefined as never), { ok: true })
  })
})

t.test('a code computed by oathtool is accepted (SHA512, 8 digits, 60 s)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, clock, signInPassword } = await buildTotpApp(t, store, { options: { algorithm: 'SHA512', digits: 8, period: 60 } })
    await signInPassword()
    const { secret, otpauthUrl } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    t.match(otpauthUrl, /[?&]algorithm=SHA512(&|$)/)
    t.match(otpauthUrl, /[?&]digits=8(&|$)/)
    t.match(otpauthUrl, /[?&]period=60(&|$)/)
    clock.advance(45)
    const code = await oathtool(secret, clock.ms, ['--totp=sha512', '--digits=8', '--time-step-size=60s'])
    const confirm = await user.inject({ method: 'POST', url: '/mfa/totp/confirm', payload: { code } })
    t.equal(confirm.statusCode, 200, confirm.body)
  })
})

t.test('the QR code decodes to the otpauth URI', async (t) => {
  await eachStore(t, async (t, store) => {
    const { user, signInPassword } = await buildTotpApp(t, store, { options: { issuer: 'Acme Corp', accountName: () => 'ada lovelace@example.com' } })
    await signInPassword()
    const { otpauthUrl, qrCodeDataUrl, secret } = (await user.inject({ method: 'POST', url: '/mfa/totp/setup', payload: {} })).json()
    t.equal(otpauthUrl, `otpauth://totp/Acme%20Corp:ada%20lovelace%40example.com?secret=${secret}&issuer=Acme%20Corp`)
    t.equal(await decodeQr(qrCodeDataUrl), otpauthUrl)
  })
})
