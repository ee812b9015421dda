import t from 'tap'
import { createMemoryStore } from '../src/index.js'
import { testStore } from '../src/storeContract.js'

// One store per case, like a fresh database.
await testStore(t, async () => createMemoryStore())
