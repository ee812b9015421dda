import t from 'tap'

// The root is the host's API; plugin and store internals are under ./plugin-kit (SPEC: issue 19).
t.test('the root exports the host\'s API, the plugin kit the building blocks', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(),
    ['NOTIFICATION_TYPES', 'createMemoryStore', 'createMongoStore', 'default', 'errors', 'isForeignOrigin', 'mfaCore'])
  const kit = Object.keys(await import('../src/pluginKit.js'))
  for (const name of ['setupMfaRoutes', 'claim', 'claimEach', 'consume', 'sha256', 'randomToken', 'optionChecks', 'withDetails', 'errors']) {
    t.ok(kit.includes(name), `plugin-kit exports ${name}`)
  }
  t.notOk(kit.includes('default'), 'the plugin itself is not in the kit')
  t.same(Object.keys(await import('../src/storeContract.js')), ['testStore'])
})
