import t from 'tap'
import {
  BACKUP_CODE_ALPHABET, BACKUP_CODE_ENTROPY_BITS, BACKUP_CODE_HINT_LENGTH, BACKUP_CODE_LENGTH, BACKUP_CODE_MAX_INPUT,
  BACKUP_CODE_SECRET_BITS, formatBackupCode, generateBackupCode, generateBackupCodes, normalizeBackupCode
} from '../src/index.js'

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/

t.test('entropy: 60 bits per code, at least 50 left after the clear-text hint', async (t) => {
  t.equal(new Set(BACKUP_CODE_ALPHABET).size, 32, '32 distinct symbols = 5 bits each')
  t.equal(BACKUP_CODE_ENTROPY_BITS, BACKUP_CODE_LENGTH * 5)
  t.equal(BACKUP_CODE_SECRET_BITS, (BACKUP_CODE_LENGTH - BACKUP_CODE_HINT_LENGTH) * 5)
  t.ok(BACKUP_CODE_SECRET_BITS >= 50, `${BACKUP_CODE_SECRET_BITS} bits not revealed by the hint`)
})

t.test('each symbol takes 5 bits of its own random byte', async (t) => {
  const sizes: number[] = []
  const fixed = (size: number) => { sizes.push(size); return Buffer.from(Array.from({ length: size }, (_, i) => i * 8 + 32)) }
  const code = generateBackupCode(fixed)
  t.same(sizes, [BACKUP_CODE_LENGTH], 'one randomBytes call of one byte per symbol')
  t.equal(code, Array.from({ length: BACKUP_CODE_LENGTH }, (_, i) => BACKUP_CODE_ALPHABET[(i * 8 + 32) & 31]).join(''))
  t.equal(generateBackupCode(() => Buffer.alloc(BACKUP_CODE_LENGTH, 0xff)), 'z'.repeat(BACKUP_CODE_LENGTH))
})

t.test('format: readable groups, no look-alike characters, all distinct', async (t) => {
  const codes = Array.from({ length: 2000 }, () => formatBackupCode(generateBackupCode()))
  for (const code of codes) if (!FORMAT.test(code)) t.fail(`bad format: ${code}`)
  t.equal(new Set(codes).size, codes.length, 'no repeats in 2000 codes')
  t.notMatch(codes.join(''), /[ilou]/, 'no i, l, o or u')
  // Every symbol appears in every position (a stuck bit would leave half of them out).
  for (let pos = 0; pos < BACKUP_CODE_LENGTH; pos++) {
    const seen = new Set(codes.map((c) => c.replaceAll('-', '')[pos]))
    t.equal(seen.size, 32, `position ${pos} uses all 32 symbols`)
  }
})

t.test('a set has distinct hints; a colliding code is drawn again', async (t) => {
  // The source repeats the first code once: the second draw collides and must be replaced.
  const draws = ['aa', 'aa', 'bb'].map((hint) => hint + 'cccccccccc')
  const bytesFor = (code: string) => Buffer.from([...code].map((s) => BACKUP_CODE_ALPHABET.indexOf(s)))
  let i = 0
  const codes = generateBackupCodes(2, () => bytesFor(draws[i++]!))
  t.same(codes, ['aacccccccccc', 'bbcccccccccc'])
  for (let n = 0; n < 50; n++) {
    const set = generateBackupCodes(10)
    t.equal(new Set(set.map((c) => c.slice(0, BACKUP_CODE_HINT_LENGTH))).size, 10)
  }
})

t.test('normalisation: case, spaces, dashes and look-alikes', async (t) => {
  const code = 'ab1c-d0ef-gh2j'
  const canonical = 'ab1cd0efgh2j'
  for (const typed of [code, 'AB1C-D0EF-GH2J', 'ab1cd0efgh2j', ' ab1c d0ef gh2j ', 'AB1C–D0EF—GH2J', 'abic-dOef-gh2j',
    'abLc-doef-gh2j', 'ab1c_d0ef_gh2j', 'ＡＢ１Ｃ-Ｄ０ＥＦ-ＧＨ２Ｊ', 'ab1c\td0ef\ngh2j']) {
    t.equal(normalizeBackupCode(typed), canonical, JSON.stringify(typed))
  }
})

t.test('normalisation refuses what cannot be a code', async (t) => {
  for (const typed of ['', 'ab1c-d0ef-gh2', 'ab1c-d0ef-gh2jk', 'ab1c-d0ef-gh2u', 'ab1c-d0ef-gh2!', '1'.repeat(12) + ' '.repeat(BACKUP_CODE_MAX_INPUT)]) {
    t.equal(normalizeBackupCode(typed), null, JSON.stringify(typed))
  }
  t.equal(normalizeBackupCode(12345 as unknown as string), null, 'not a string')
  t.equal(normalizeBackupCode('a'.repeat(100_000)), null, 'over-long input')
})
