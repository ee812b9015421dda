import t from 'tap'
import { eachStore } from '@fastify-mfa/testing'
import { freshUser, setup, verify } from './helpers.js'

// Each regeneration used to upsert its set, then read the current one back: interleaved as A-write,
// A-read, B-write, B-read, both saw their own set and both answered 200, one with dead codes.
t.test('regression: of racing regenerations exactly one answers 200, and only its codes work', async (t) => {
  await eachStore(t, async (t, store) => {
    const { app, clock } = await setup(t, store)
    const users = await Promise.all([1, 2, 3].map(async () => await freshUser(app, clock)))
    let previous: string[] = []
    for (let round = 0; round < 20; round++) {
      const racing = users.slice(0, 2 + (round % 2))
      const answers = await Promise.all(racing.map(async (user) => await user.inject({ method: 'POST', url: '/mfa/backup-codes', payload: {} })))
      const winners = answers.filter((res) => res.statusCode === 200)
      const losers = answers.filter((res) => res.statusCode !== 200)
      t.equal(winners.length, 1, `round ${round}: one 200 of ${racing.length}`)
      t.same(losers.map((res) => [res.statusCode, res.json().code]), losers.map(() => [409, 'FST_MFA_BACKUP_CODES_CONFLICT']), `round ${round}: the others 409`)
      t.equal(await app.mfa.collection('backup_codes').countDocuments({ userId: 'u1' }), 10, `round ${round}: only the winner's codes are stored`)
      const shown: string[] = winners[0]?.json().codes ?? []
      t.ok((await verify(app, 'u1', shown[0] ?? '')).ok, `round ${round}: the winner's codes work`)
      for (const code of previous) t.notOk((await verify(app, 'u1', code)).ok, `round ${round}: the earlier set is dead`)
      previous = shown.slice(1, 3)
    }
  })
})
