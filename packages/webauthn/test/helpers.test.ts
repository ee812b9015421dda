import t from 'tap'
import { assuranceOf, readClientChallenge } from '../src/index.js'

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

t.test('assuranceOf: AMR and AAL of an assertion', async (t) => {
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: true, purpose: 'login' }), { amr: ['hwk', 'user'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'singleDevice', userVerified: false, purpose: 'login' }), { amr: ['hwk'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'step-up' }), { amr: ['swk'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: true, purpose: 'passkey' }), { amr: ['swk', 'user'], aal: 3 })
  t.same(assuranceOf({ deviceType: 'multiDevice', userVerified: false, purpose: 'passkey' }), { amr: ['swk'], aal: 1 })
})
