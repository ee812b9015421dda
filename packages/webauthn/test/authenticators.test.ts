import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import type { MfaEvent } from '@fastify-mfa/core'
import { authenticatorAllowed } from '../src/authenticatorPolicy.js'
import { authenticatorNameOf } from '../src/authenticatorName.js'
import type { CredentialDocument } from '../src/index.js'
import { GOOGLE_PASSWORD_MANAGER, ICLOUD_KEYCHAIN, UNLISTED, WINDOWS_HELLO, YUBIKEY_5 } from './helpers/aaguids.js'
import { buildApp, ORIGIN, RP_ID, sessionState } from './helpers/app.js'
import { conditionalOptions, conditionalVerify, registerOptions } from './helpers/ceremonies.js'
import { enroll } from './helpers/enroll.js'
import { SoftAuthenticator, type SoftAuthenticatorOptions } from './helpers/softAuthenticator.js'

// Authenticator policy (AAGUID allow and deny lists, attestation) and names from the AAGUID.

const key = (aaguid: string, options: SoftAuthenticatorOptions = {}) => new SoftAuthenticator(ORIGIN, RP_ID, { aaguid, ...options })
const ZERO = '00000000-0000-0000-0000-000000000000'

t.test('authenticatorNameOf and authenticatorAllowed', async (t) => {
  t.equal(authenticatorNameOf(YUBIKEY_5), 'YubiKey 5 Series')
  t.equal(authenticatorNameOf(YUBIKEY_5.toUpperCase()), 'YubiKey 5 Series', 'case does not matter')
  t.equal(authenticatorNameOf(GOOGLE_PASSWORD_MANAGER), 'Google Password Manager')
  t.equal(authenticatorNameOf(WINDOWS_HELLO), 'Windows Hello')
  t.type(authenticatorNameOf(ICLOUD_KEYCHAIN), 'string', "Apple's passkey provider")
  t.equal(authenticatorNameOf(ZERO), null, 'the all-zero AAGUID names nothing')
  t.equal(authenticatorNameOf(UNLISTED), null)
  t.equal(authenticatorNameOf('__proto__'), null, 'no prototype keys')
  t.equal(authenticatorNameOf(UNLISTED, { [UNLISTED]: 'Acme key' }), 'Acme key', "the host's names")
  t.equal(authenticatorNameOf(YUBIKEY_5, { [YUBIKEY_5]: 'Company YubiKey' }), 'Company YubiKey', "the host's names first")

  const none = { allow: null, deny: new Set<string>() }
  t.ok(authenticatorAllowed(ZERO, none))
  t.notOk(authenticatorAllowed(YUBIKEY_5, { allow: null, deny: new Set([YUBIKEY_5]) }))
  t.ok(authenticatorAllowed(YUBIKEY_5.toUpperCase(), { allow: new Set([YUBIKEY_5]), deny: new Set() }))
  t.notOk(authenticatorAllowed(ZERO, { allow: new Set([YUBIKEY_5]), deny: new Set() }))
  t.notOk(authenticatorAllowed(YUBIKEY_5, { allow: new Set([YUBIKEY_5]), deny: new Set([YUBIKEY_5]) }), 'deny wins')
})

t.test('aaguids.deny: those authenticators are refused with FST_MFA_AUTHENTICATOR_NOT_ALLOWED, nothing stored, audited', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store, { aaguids: { deny: [GOOGLE_PASSWORD_MANAGER.toUpperCase()] } })
    const refused: MfaEvent[] = []
    app.mfa.on('webauthn.authenticator_refused', (e) => { refused.push(e) })
    await user.signIn(sessionState(clock, 'alice', false))
    const res = await enroll(user, key(GOOGLE_PASSWORD_MANAGER, { deviceType: 'multiDevice' }))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_MFA_AUTHENTICATOR_NOT_ALLOWED')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
    t.match(refused, [{ userId: 'alice', method: 'webauthn', details: { aaguid: GOOGLE_PASSWORD_MANAGER, purpose: 'register' } }])
    t.equal((await enroll(user, key(YUBIKEY_5))).statusCode, 200, 'another model is accepted')
  })
})

t.test('aaguids.allow: only those authenticators (not one that hides its model)', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store, { aaguids: { allow: [YUBIKEY_5] } })
    await user.signIn(sessionState(clock, 'alice', false))
    for (const aaguid of [ZERO, GOOGLE_PASSWORD_MANAGER, UNLISTED]) {
      const res = await enroll(user, key(aaguid))
      t.equal(res.statusCode, 400, aaguid)
      t.equal(res.json().code, 'FST_MFA_AUTHENTICATOR_NOT_ALLOWED')
    }
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
    const ok = await enroll(user, key(YUBIKEY_5))
    t.equal(ok.statusCode, 200, ok.body)
  })
})

t.test('the AAGUID policy holds for the automatic passkey upgrade too', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store, { aaguids: { deny: [GOOGLE_PASSWORD_MANAGER] } })
    await user.signIn(sessionState(clock, 'alice', true))
    const manager = key(GOOGLE_PASSWORD_MANAGER, { deviceType: 'multiDevice', userPresent: false })
    const res = await conditionalVerify(user, manager.register((await conditionalOptions(user)).json()))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'FST_MFA_AUTHENTICATOR_NOT_ALLOWED')
    t.equal(await app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false)
  })
})

t.test('names from the AAGUID: in the list, and the default credential name when known', async (t) => {
  await eachStore(t, async (t, store) => {
    const { clock, user } = await buildApp(t, store)
    await user.signIn(sessionState(clock, 'alice', false))
    const yubikey = key(YUBIKEY_5)
    t.match((await enroll(user, yubikey)).json().credential, { name: 'YubiKey 5 Series', authenticatorName: 'YubiKey 5 Series', deviceType: 'singleDevice' })
    clock.advance(1)
    await user.signIn(sessionState(clock, 'alice', true))
    const gpm = key(GOOGLE_PASSWORD_MANAGER, { deviceType: 'multiDevice' })
    t.match((await enroll(user, gpm)).json().credential, { name: 'Google Password Manager', authenticatorName: 'Google Password Manager', deviceType: 'multiDevice' })
    clock.advance(1)
    const unlisted = key(UNLISTED)
    t.match((await enroll(user, unlisted)).json().credential, { name: 'Security key', authenticatorName: null }, 'unknown model: the generic name')
    clock.advance(1)
    const named = key(YUBIKEY_5)
    t.match((await enroll(user, named, { name: 'Blue key' })).json().credential, { name: 'Blue key', authenticatorName: 'YubiKey 5 Series' }, "the user's name wins")

    const list = (await user.inject({ url: '/mfa/webauthn/credentials' })).json().credentials
    t.same(list.map((c: { authenticatorName: string | null }) => c.authenticatorName), ['YubiKey 5 Series', 'Google Password Manager', null, 'YubiKey 5 Series'])
    const renamed = await user.inject({ method: 'PATCH', url: `/mfa/webauthn/credentials/${yubikey.id}`, payload: { name: 'Desk key' } })
    t.match(renamed.json().credential, { name: 'Desk key', authenticatorName: 'YubiKey 5 Series' }, 'the model stays after a rename')
  })
})

t.test("authenticatorNames: the host's names first; a long listed name is cut to 64 characters", async (t) => {
  const { clock, user } = await buildApp(t, 'memory', { authenticatorNames: { [UNLISTED.toUpperCase()]: 'Acme corporate key' } })
  await user.signIn(sessionState(clock, 'alice', false))
  t.match((await enroll(user, key(UNLISTED))).json().credential, { name: 'Acme corporate key', authenticatorName: 'Acme corporate key' })
  await user.signIn(sessionState(clock, 'alice', true))
  const long = '5ca1ab1e-1337-fa57-f1d0-a117e71ca702' // listed with a name of more than 64 characters
  const credential = (await enroll(user, key(long))).json().credential
  t.ok(credential.authenticatorName.length > 64)
  t.ok(credential.name.length <= 64 && credential.authenticatorName.startsWith(credential.name), credential.name)
})

t.test("attestationType 'direct' is asked for, and a 'none' attestation (what passkey providers send) is still accepted", async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock, user } = await buildApp(t, store, { attestationType: 'direct' })
    await user.signIn(sessionState(clock, 'alice', false))
    t.equal((await registerOptions(user)).json().attestation, 'direct')
    const authenticator = key(YUBIKEY_5)
    t.equal((await enroll(user, authenticator)).statusCode, 200)
    const doc = await app.mfa.collection<CredentialDocument>('webauthn_credentials').findOne({ _id: authenticator.id })
    t.match(doc, { aaguid: YUBIKEY_5, attestationFormat: 'none', backupEligible: false })
  })
})
