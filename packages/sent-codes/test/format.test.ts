import t from 'tap'
import { escapeHtml, generateSentCode, hashSentCode, maskAddress, normalizePhone, normalizeSentCode, sentCodeMatches } from '../src/index.js'

t.test('generateSentCode: 6 digits, leading zeros kept, spread over all digits', async (t) => {
  const codes = Array.from({ length: 2000 }, generateSentCode)
  t.ok(codes.every((c) => /^\d{6}$/.test(c)))
  const firstDigits = new Set(codes.map((c) => c[0]))
  t.equal(firstDigits.size, 10, 'every leading digit occurs, 0 included')
  t.ok(new Set(codes).size > 1990, 'practically no repeats')
})

t.test('hashSentCode: salted, compared in constant time; the hash does not contain the code', async (t) => {
  const a = hashSentCode('012345')
  const b = hashSentCode('012345')
  t.not(a.hash, b.hash, 'a per-code salt')
  t.ok(sentCodeMatches('012345', a))
  t.notOk(sentCodeMatches('012346', a))
  t.notOk(sentCodeMatches('012345', { hash: 'short', salt: a.salt }), 'a malformed hash is no match')
  t.notOk(a.hash.includes('012345'))
})

t.test('normalizeSentCode: digits with spaces, nothing else', async (t) => {
  t.equal(normalizeSentCode(' 012 345 '), '012345')
  for (const bad of ['01234', '0123456', '01234a', '０１２３４５', 12345, null]) t.equal(normalizeSentCode(bad), null, String(bad))
})

t.test('normalizePhone: E.164 and valid for its country (libphonenumber-js)', async (t) => {
  t.equal(normalizePhone('+14155552671'), '+14155552671')
  t.equal(normalizePhone('+447911123456'), '+447911123456')
  t.equal(normalizePhone('+447700900123'), null, 'a UK range reserved for drama is no number')
  for (const bad of ['+1415555267', '14155552671', '+1 415 555 2671', '+0123456789', '+99912345678', '+4420']) t.equal(normalizePhone(bad), null, bad)
})

t.test('maskAddress', async (t) => {
  t.equal(maskAddress('ada@example.com', 'email'), 'a•••@example.com')
  t.equal(maskAddress('ßig@例え.jp', 'email'), 'ß•••@例え.jp')
  t.equal(maskAddress('+14155552642', 'phone'), '+•• ••• ••• 42')
})

t.test('escapeHtml', async (t) => {
  t.equal(escapeHtml('<a href="x" onclick=\'y\'>&</a>'), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
})
