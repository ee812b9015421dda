import t from 'tap'
import { storeKinds, testDb } from '@fastify-mfa/testing'
import { createMongoStore } from '../src/index.js'
import { testStore } from '../src/storeContract.js'

if (!storeKinds().includes('mongodb')) {
  t.comment('FASTIFY_MFA_STORES excludes mongodb: skipped')
} else {
  await testStore(t, async () => createMongoStore(await testDb(t)))
}
