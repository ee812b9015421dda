// Runs the benchmarks in ./benchmarks: `node run.mjs` runs all, `node run.mjs <name> …` the named
// ones. Each file exports `async function run()` returning { name, ours, baseline, unit, ratio };
// one JSON line is printed per benchmark.
import { readdir } from 'node:fs/promises'
import { basename } from 'node:path'

const folder = new URL('./benchmarks/', import.meta.url)

async function available () {
  const files = await readdir(folder)
  return files.filter((f) => f.endsWith('.mjs')).map((f) => basename(f, '.mjs')).sort()
}

const all = await available()
const wanted = process.argv.slice(2).filter((arg) => arg !== '--')
const unknown = wanted.filter((name) => !all.includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`)
  process.exit(2)
}

for (const name of wanted.length > 0 ? wanted : all) {
  try {
    const { run } = await import(new URL(`${name}.mjs`, folder))
    console.log(JSON.stringify(await run()))
  } catch (err) {
    console.log(JSON.stringify({ name, error: err?.message ?? String(err) }))
    process.exitCode = 1
  }
}
