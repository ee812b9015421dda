import t from 'tap'
import { createMemoryStore } from '@fastify-mfa/core'
import { agent, eachStore, fakeClock } from '@fastify-mfa/testing'
import { buildApp, sessionState } from './helpers/app.js'
import { ceremonyOptions, ceremonyVerify, plantChallenge, registerOptions, registerVerify, type Ceremony } from './helpers/ceremonies.js'
import { w3cVectors, type W3cVector } from './fixtures/w3cVectors.js'

// W3C WebAuthn Level 3 §16 vectors through the plugin: the registration route and the factor's
// ceremony, with the challenge issued by the plugin replaced by the one the vector signed.

const b64url = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url')
const RP_ID_HASH = 'bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b5' // SHA-256('example.org')

function flipByte (hex: string, index: number): string {
  const bytes = Buffer.from(hex, 'hex')
  const at = index < 0 ? bytes.length + index : index
  bytes[at] = bytes[at]! ^ 0x01
  return bytes.toString('hex')
}

function registrationResponse (v: W3cVector, attestationObject = v.registration.attestationObject) {
  const id = b64url(v.credentialId)
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: { clientDataJSON: b64url(v.registration.clientDataJSON), attestationObject: b64url(attestationObject) }
  }
}

function assertionResponse (v: W3cVector, patch: { authenticatorData?: string, signature?: string } = {}) {
  const id = b64url(v.credentialId)
  const a = { ...v.authentication, ...patch }
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: { clientDataJSON: b64url(a.clientDataJSON), authenticatorData: b64url(a.authenticatorData), signature: b64url(a.signature) }
  }
}

t.test('the RS256 modulus rebuilt from the Mersenne primes sits where the published bytes put it', async (t) => {
  const rs256 = w3cVectors.find((v) => v.name === 'packed RS256')!
  t.match(rs256.registration.attestationObject, /a4010303390100205901b403f{100,}/)
  t.ok(rs256.registration.attestationObject.endsWith('00012143010001'))
})

for (const vector of w3cVectors) {
  t.test(`§${vector.section}`, async (t) => {
    await eachStore(t, async (t, db) => {
      // One store, three relying parties: the right one and two that must refuse the same bytes.
      const store = db === 'memory' ? createMemoryStore() : db
      const clock = fakeClock()
      const good = await buildApp(t, store, {}, clock)
      const wrongOrigin = await buildApp(t, store, { origins: ['https://example.com', 'https://login.example.org'] }, clock)
      const wrongRpId = await buildApp(t, store, { rpID: 'example.com' }, clock)

      async function tryRegister (app: typeof good, attestationObject?: string) {
        const user = agent(app.app)
        await user.signIn(sessionState(clock, 'alice', false))
        const options = (await registerOptions(user)).json()
        await plantChallenge(app.app, options.challenge, b64url(vector.registration.challenge))
        return await registerVerify(user, registrationResponse(vector, attestationObject))
      }

      async function tryAuthenticate (app: typeof good, patch?: { authenticatorData?: string, signature?: string }, plant = true) {
        const ceremony: Ceremony = { purpose: 'login', binding: 'pending-login-1', userId: 'alice' }
        const options = (await ceremonyOptions(app.user, ceremony)).json()
        if (plant) await plantChallenge(app.app, options.challenge, b64url(vector.authentication.challenge))
        return await ceremonyVerify(app.user, ceremony, assertionResponse(vector, patch))
      }

      for (const [label, app] of [['origin', wrongOrigin], ['RP ID', wrongRpId]] as const) {
        const res = await tryRegister(app)
        t.equal(res.statusCode, 400, `registration refused for another ${label}`)
        t.equal(res.json().code, 'FST_MFA_WEBAUTHN_VERIFICATION_FAILED')
      }
      const rpIdFlipped = flipByte(vector.registration.attestationObject, vector.registration.attestationObject.indexOf(RP_ID_HASH) / 2)
      t.equal((await tryRegister(good, rpIdFlipped)).statusCode, 400, 'registration refused with a byte of the RP ID hash flipped')
      if (vector.fmt === 'packed') {
        const keyFlipped = flipByte(vector.registration.attestationObject, -1)
        t.equal((await tryRegister(good, keyFlipped)).statusCode, 400, 'registration refused with a byte of the signed credential key flipped')
      }
      t.equal(await good.app.mfa.factors.get('webauthn')!.isEnrolled('alice'), false, 'nothing stored by refused registrations')

      const registered = await tryRegister(good)
      t.equal(registered.statusCode, 200, registered.body)
      t.equal(registered.json().credential.id, b64url(vector.credentialId))
      t.equal(registered.json().credential.deviceType, vector.name === 'packed Ed25519' ? 'singleDevice' : 'multiDevice')

      const flags = Buffer.from(vector.authentication.authenticatorData, 'hex')[32]!
      const ok = await tryAuthenticate(good)
      const synced = (flags & 0x08) !== 0
      t.same(ok, {
        ok: true,
        userId: 'alice',
        amr: [synced ? 'swk' : 'hwk', ...((flags & 0x04) !== 0 ? ['user'] : [])],
        aal: synced ? 2 : 3 // NIST SP 800-63B-4: a synced (backup-eligible) credential proves AAL 2
      }, 'the published assertion verifies')

      t.same(await tryAuthenticate(good, { signature: flipByte(vector.authentication.signature, 8) }), { ok: false, reason: 'invalid' }, 'signature byte flipped')
      t.same(await tryAuthenticate(good, { authenticatorData: flipByte(vector.authentication.authenticatorData, 36) }), { ok: false, reason: 'invalid' }, 'authenticator data byte flipped')
      t.same(await tryAuthenticate(good, {}, false), { ok: false, reason: 'invalid' }, 'a challenge other than the signed one')
      t.same(await tryAuthenticate(wrongOrigin), { ok: false, reason: 'invalid' }, 'another origin')
      t.same(await tryAuthenticate(wrongRpId), { ok: false, reason: 'invalid' }, 'another RP ID')
      t.same(await tryAuthenticate(good), ok, 'the published assertion still verifies after the refusals (counter 0 stays 0)')
    })
  })
}
