// Checks one unpacked npm tarball (`<dir>/package/...`) the way a consumer would meet it.
//   node check-tarball.mjs <unpacked dir> <tarball name>
// Prints `FAIL …` and `WARN …` lines; exits 1 when there is a FAIL.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'

const [root, label] = [resolve(process.argv[2], 'package'), process.argv[3] ?? process.argv[2]]
const fails = new Set()
const warns = new Set()
const fail = (m) => fails.add(m)
const warn = (m) => warns.add(m)

function walk (dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}
const files = walk(root).map((p) => relative(root, p))
const has = (f) => files.includes(f)

// 1. The files a consumer needs.
for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) if (!has(f)) fail(`missing ${f}`)
if (!files.some((f) => f.startsWith('src/'))) fail('missing src/ (the source maps point at it)')
if (files.some((f) => f.startsWith('test/'))) warn('ships test/')
// Output whose source is gone: tsc never cleans dist, so a renamed or moved file is packed anyway.
for (const f of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
  const src = f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')
  if (!has(src)) fail(`${f} has no ${src}: stale build output (the build does not clean dist; rm -rf dist and rebuild)`)
}

// 2. Every source map (.js.map, .d.ts.map) resolves to a shipped source.
let maps = 0
for (const f of files.filter((f) => f.endsWith('.map'))) {
  maps++
  const map = JSON.parse(readFileSync(join(root, f), 'utf8'))
  for (const s of map.sources ?? []) {
    const target = relative(root, resolve(root, dirname(f), map.sourceRoot ?? '', s))
    if (target.startsWith('..') || !has(target)) fail(`${f}: source ${s} is not in the tarball`)
  }
}
for (const f of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
  const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(root, f), 'utf8'))
  if (m && !m[1].startsWith('data:') && !has(relative(root, resolve(root, dirname(f), m[1])))) fail(`${f}: sourceMappingURL ${m[1]} is not in the tarball`)
}

// 3. package.json: exports that exist, ranges that install outside the monorepo.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const targets = []
const collect = (v) => { if (typeof v === 'string') targets.push(v); else if (v && typeof v === 'object') Object.values(v).forEach(collect) }
collect(pkg.exports); collect(pkg.main); collect(pkg.types)
for (const t of targets) if (!t.includes('*') && !has(relative(root, resolve(root, t)))) fail(`package.json points at ${t}, not in the tarball`)
if (!pkg.exports?.['.']?.types) fail('package.json exports["."] has no "types" condition')
for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
  for (const [name, range] of Object.entries(pkg[field] ?? {})) {
    if (/^(\*|file:|workspace:|link:|\.{0,2}\/)/.test(range) || range === '') fail(`${field}.${name} is "${range}" (does not install from a registry)`)
  }
}
if (!pkg.license) fail('package.json has no license')
if (!pkg.description) warn('package.json "description" is empty')
if (!pkg.repository) warn('package.json has no "repository" (issue 19: repository.directory)')

// 4. Every bare import of dist/ (runtime and types) is a declared dependency or peer; declared ones are used.
const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})])
const builtins = new Set(builtinModules)
const packageOf = (spec) => spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
const used = new Set()
const importRe = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(:<,])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\s)import\s+['"]([^'"]+)['"]|\/\/\/\s*<reference\s+types=['"]([^'"]+)['"]|(?:\brequire|\))\(\s*['"]([^'"./][^'"]*)['"]\s*\)/gm
for (const f of files.filter((f) => f.startsWith('dist/') && /\.(js|d\.ts)$/.test(f))) {
  const text = readFileSync(join(root, f), 'utf8')
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]
    if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec.split('/')[0])) continue
    const name = packageOf(spec)
    if (name === pkg.name) continue
    used.add(name)
    const kind = f.endsWith('.d.ts') ? 'its types import' : 'imports at run time'
    if (!declared.has(name)) fail(`${f}: ${kind} "${spec}", which package.json does not declare (found only through hoisting: breaks under pnpm, Yarn PnP or a deduped tree)`)
  }
}
for (const name of Object.keys(pkg.dependencies ?? {})) if (!used.has(name)) warn(`declares dependency ${name}, which dist/ never imports`)

// 5. README links that only work inside the monorepo.
const readme = has('README.md') ? readFileSync(join(root, 'README.md'), 'utf8') : ''
for (const m of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s]+)\)/g)) {
  const target = m[1].split('#')[0]
  if (!has(relative(root, resolve(root, target)))) warn(`README.md links to ${m[1]}, not in the tarball`)
}
for (const m of readme.matchAll(/\bsrc\/[\w./-]+\.ts\b/g)) if (!has(m[0])) warn(`README.md names ${m[0]}, not in the tarball`)
if (/\bSPEC\b/.test(readme)) warn('README.md refers to the SPEC, which is not shipped')
if (!/npm (install|i) /.test(readme)) warn('README.md has no install line')

for (const m of fails) console.log(`FAIL ${label}: ${m}`)
for (const m of warns) console.log(`WARN ${label}: ${m}`)
console.log(`${fails.size === 0 ? 'ok  ' : 'FAIL'} ${label}: ${files.length} files, ${maps} source maps checked, ${fails.size} failure(s), ${warns.size} warning(s)`)
process.exit(fails.size === 0 ? 0 : 1)
