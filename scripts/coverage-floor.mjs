// The coverage floor of CI: every package's tests must cover at least FLOOR% of its lines. Reads the
// json-summary each package's tap run writes (.tap/report/coverage-summary.json); fails when one is
// missing (its tests did not run with coverage) or below the floor.
import { readFileSync } from 'node:fs'

const FLOOR = 90
const packages = ['core', 'totp', 'backup-codes', 'webauthn', 'remember-device', 'mfa-login', 'sent-codes', 'device-approval']
let failed = false
for (const name of packages) {
  const file = new URL(`../packages/${name}/.tap/report/coverage-summary.json`, import.meta.url)
  let pct
  try {
    pct = JSON.parse(readFileSync(file, 'utf8')).total.lines.pct
  } catch {
    console.error(`coverage: no report for ${name} (run its tests first)`)
    failed = true
    continue
  }
  const ok = pct >= FLOOR
  if (!ok) failed = true
  console.log(`coverage: ${name.padEnd(16)} lines ${String(pct).padStart(6)}% ${ok ? 'ok' : `below the floor of ${FLOOR}%`}`)
}
process.exit(failed ? 1 : 0)
