import t from 'tap'
import { deviceLabel } from '../src/deviceLabel.js'

const firefox = 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const safari = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

t.test('deviceLabel names browser and system, the same when asked again', async (t) => {
  t.equal(deviceLabel(firefox), 'Firefox on Ubuntu')
  t.equal(deviceLabel(safari), 'Mobile Safari on iOS')
  t.equal(deviceLabel(firefox), 'Firefox on Ubuntu', 'from the cache')
  t.equal(deviceLabel(undefined), 'Unknown device')
  t.equal(deviceLabel('curl/8.5.0'), 'Unknown device')
})

t.test('past the cache\'s bound, labels stay right', async (t) => {
  for (let i = 0; i < 1200; i++) deviceLabel(`${firefox} build/${i}`)
  t.equal(deviceLabel(safari), 'Mobile Safari on iOS', 'an entry evicted long ago is parsed again')
  t.equal(deviceLabel(`${firefox} build/1199`), 'Firefox on Ubuntu')
})
