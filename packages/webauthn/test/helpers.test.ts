import t from 'tap'
import { assuranceOf } from '../src/assurance.js'
import { autoUpgradeOpen } from '../src/autoUpgrade.js'
import { readClientChallenge } from '../src/readClientChallenge.js'
import type { RequestMfa } from '@fastify-mfa/core'

const response = (clientData: unknown) => ({ response: { clientDataJSON: Buffer.from(typeof clientData === 'string' ? clientData : JSON.stringify(clientData)).toString('base64url') } })

t.test('readClientChallenge', async (t) => {
  const challenge = Buffer.alloc(32, 1).toString('base64url')
  t.equal(readClientChallenge(response({ type: 'webauthn.get', challenge })), challenge)
  t.equal(readClientChallenge(response({ challenge: 'short' })), null, 'too short to be one of ours')
  t.equal(readClientChallenge(response({ challenge: 'a+b/c=' + 'x'.repeat(20) })), null, 'not base64url')
  t.equal(readClientChallenge(response({ challenge: 42 })), null)
  t.equal(readClientChallenge(response('not json')), null)
  t.equal(readClientChallenge({ response: { clientDataJSON: 7 } }), null)
  t.equal(readClientChallenge(null), null)
  t.equal(readClientChallenge({ response: { clientDataJSON: 'A'.repeat(20_000) } }), null, 'oversized')
})

t.test('assuranceOf: AMR and AAL of an assertion (NIST SP 800-63B-4)', async (t) => {
  // Device-bound keys: AAL 3 after a password, and on their own with UV.
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: true, purpose: 'login' }), { amr: ['hwk', 'user'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: false, purpose: 'login' }), { amr: ['hwk'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: true, purpose: 'passkey' }), { amr: ['hwk', 'user'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: false, purpose: 'passkey' }), { amr: ['hwk'], aal: 1 })
  // Synced passkeys: AAL 2 by default, wherever they are used.
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'step-up' }), { amr: ['swk'], aal: 2 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: true, purpose: 'login' }), { amr: ['swk', 'user'], aal: 2 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: true, purpose: 'passkey' }), { amr: ['swk', 'user'], aal: 2 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'passkey' }), { amr: ['swk'], aal: 1 })
  // syncedPasskeyAal: 3 counts them as device-bound keys; a passkey without UV stays one factor.
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: true, purpose: 'passkey', syncedPasskeyAal: 3 }), { amr: ['swk', 'user'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'login', syncedPasskeyAal: 3 }), { amr: ['swk'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'passkey', syncedPasskeyAal: 3 }), { amr: ['swk'], aal: 1 })
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: true, purpose: 'login', syncedPasskeyAal: 2 }), { amr: ['hwk', 'user'], aal: 3 }, 'the option never lowers a device-bound key')
})

t.test('autoUpgradeOpen: a password + second-factor sign-in of that user, within the window', async (t) => {
  const now = 1_000_000
  const signedIn = (state: Partial<RequestMfa>) => ({ userId: 'alice', aal: 2, amr: ['pwd', 'otp', 'mfa'], mfaTime: now - 10, enrollOnly: false, ...state }) as RequestMfa
  t.equal(autoUpgradeOpen(signedIn({}), 'alice', now, 300), true)
  t.equal(autoUpgradeOpen(signedIn({ mfaTime: now - 300 }), 'alice', now, 300), true, 'at the end of the window')
  t.equal(autoUpgradeOpen(signedIn({ mfaTime: now - 301 }), 'alice', now, 300), false, 'after it')
  t.equal(autoUpgradeOpen(signedIn({}), 'bob', now, 300), false, 'another user')
  t.equal(autoUpgradeOpen(signedIn({ enrollOnly: true }), 'alice', now, 300), false, 'enrol-only')
  t.equal(autoUpgradeOpen(signedIn({ aal: 1, amr: ['pwd'] }), 'alice', now, 300), false, 'password only')
  t.equal(autoUpgradeOpen(signedIn({ amr: ['pwd', 'rmd', 'mfa'], mfaTime: null }), 'alice', now, 300), false, 'remembered device')
  t.equal(autoUpgradeOpen(signedIn({ aal: 3, amr: ['hwk', 'user', 'mfa'] }), 'alice', now, 300), false, 'passkey sign-in')
})
