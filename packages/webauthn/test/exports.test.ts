import t from 'tap'
import mfaWebAuthn, { mfaWebAuthn as named } from '../src/index.js'

// The public types are checked by tstyche (typetests/webauthn.tst.ts); this is the runtime side.
t.test('the plugin is exported as default and by name', async (t) => {
  t.equal(mfaWebAuthn, named)
})

t.test('the root exports the host\'s API only: the ceremonies need the plugin\'s own context', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), ['default', 'errors', 'mfaWebAuthn'])
})
