#!/usr/bin/env bash
# The drop-in proven outside the monorepo (issue 19): pack every publishable package, check each tarball,
# install the tarballs into a fresh Fastify 5 app in a temporary directory outside the repository, run the
# host's smoke test there (its own user table, scrypt password check and session field; TOTP with oathtool,
# backup codes, guarded routes) and type-check a TypeScript consumer against the packed types.
#
#   npm ci && npm run build && bash dropin/run.sh      (.ci/run does the first two)
#   KEEP_DROPIN=1 bash dropin/run.sh                    keeps the temporary directories and says where
#
# Needs node >= 20.19, npm, oathtool, and the npm registry (for fastify, mongodb@6, typescript …).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PACKAGES=(core totp backup-codes webauthn remember-device mfa-login sent-codes device-approval)
START=$SECONDS

PACK_DIR=$(mktemp -d /tmp/fastify-mfa-pack.XXXXXX)
APP_DIR=$(mktemp -d /tmp/fastify-mfa-dropin.XXXXXX)
LOG_DIR=$(mktemp -d /tmp/fastify-mfa-dropin-logs.XXXXXX)
cleanup () {
  if [ "${KEEP_DROPIN:-}" = 1 ]; then
    echo "[dropin] kept: $PACK_DIR $APP_DIR $LOG_DIR"
  else
    rm -rf "$PACK_DIR" "$APP_DIR" "$LOG_DIR"
  fi
}
trap cleanup EXIT

RESULTS=()
WARNINGS=()
FAILED=0
say () { echo "[dropin] $*"; }
record () { RESULTS+=("$(printf '%-4s %-58s %4ss' "$1" "$2" "$3")"); }

# step NAME FUNCTION: runs FUNCTION with its output in a log, prints the log when it fails, and sets
# STEP_OK. It always returns 0 and is never called as a condition: bash ignores errexit in everything
# run from a tested command (`if step …`, `step … || …`), background subshells included.
STEP_OK=0
step () {
  local name=$1 fn=$2 t0=$SECONDS log="$LOG_DIR/$2.log"
  say "── $name"
  # In the background, not as an `if` condition: there bash would ignore errexit inside the function.
  ( set -euo pipefail; "$fn" ) >"$log" 2>&1 &
  if wait $!; then
    STEP_OK=1
    record PASS "$name" $((SECONDS - t0))
    grep -E '^(WARN|NOTE) ' "$log" | while IFS= read -r line; do echo "[dropin]    $line"; done || true
    while IFS= read -r line; do WARNINGS+=("$line"); done < <(grep -E '^WARN ' "$log" || true)
    return 0
  fi
  STEP_OK=0
  record FAIL "$name" $((SECONDS - t0))
  FAILED=1
  while IFS= read -r line; do WARNINGS+=("$line"); done < <(grep -E '^WARN ' "$log" || true)
  say "   FAILED; its output:"
  sed 's/^/   | /' "$log" | tail -n 80
  return 0
}

summary () {
  echo
  echo "══════════ drop-in summary ($((SECONDS - START)) s; app in a fresh temp dir outside $ROOT) ══════════"
  printf '%s\n' "${RESULTS[@]}"
  if [ ${#WARNINGS[@]} -gt 0 ]; then
    echo "warnings (${#WARNINGS[@]}; not failures):"
    printf '  %s\n' "${WARNINGS[@]}"
  fi
  if [ "$FAILED" = 0 ]; then echo "DROP-IN OK"; else echo "DROP-IN FAILED"; fi
}

outside_repo () {
  case "$1/" in "$ROOT"/*) echo "temporary directory $1 is inside the repository" >&2; return 1 ;; esac
}

# ── 0. what the run needs ───────────────────────────────────────────────────────────────────────────
preflight () {
  outside_repo "$PACK_DIR"; outside_repo "$APP_DIR"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("node >= 20.19 needed, this is "+process.version); process.exit(1) }'
  command -v npm >/dev/null || { echo "npm not found"; exit 1; }
  command -v oathtool >/dev/null || { echo "oathtool not found (apt-get install oathtool; .ci/run installs it)"; exit 1; }
  for p in "${PACKAGES[@]}"; do
    local d="$ROOT/packages/$p"
    [ -f "$d/dist/index.js" ] && [ -f "$d/dist/index.d.ts" ] || { echo "packages/$p/dist is missing: run npm run build first"; exit 1; }
    local newer
    newer=$(find "$d/src" -name '*.ts' -newer "$d/dist/index.js" | head -n 3)
    [ -z "$newer" ] || echo "WARN packages/$p: src is newer than dist (stale build?): $(echo "$newer" | tr '\n' ' ')"
  done
  echo "node $(node --version), npm $(npm --version), $(oathtool --version | head -n 1)"
  echo "pack dir $PACK_DIR, app dir $APP_DIR"
}

# ── 1. npm pack every package; check each tarball ──────────────────────────────────────────────────
pack () {
  local bad=0
  for p in "${PACKAGES[@]}"; do
    local file
    file=$(cd "$ROOT/packages/$p" && npm pack --pack-destination "$PACK_DIR" --json --silent | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')
    [ -f "$PACK_DIR/$file" ] || { echo "FAIL $p: npm pack made no $file"; bad=1; continue; }
    # The required files, straight from the tarball's listing.
    local listing
    listing=$(tar -tzf "$PACK_DIR/$file")
    for f in LICENSE README.md dist/index.js dist/index.d.ts; do
      grep -qx "package/$f" <<<"$listing" || { echo "FAIL $file: no $f"; bad=1; }
    done
    grep -q '^package/src/' <<<"$listing" || { echo "FAIL $file: no src/ (source maps point at it)"; bad=1; }
    mkdir -p "$PACK_DIR/unpacked/$p"
    tar -xzf "$PACK_DIR/$file" -C "$PACK_DIR/unpacked/$p"
    node "$HERE/check-tarball.mjs" "$PACK_DIR/unpacked/$p" "$file" || bad=1
  done
  # The contract for hosts with their own login must be in what ships, not only in the root README.
  local readme="$PACK_DIR/unpacked/mfa-login/package/README.md"
  grep -q 'onSignedIn' "$readme" || echo "WARN mfa-login README.md (shipped) never mentions the onSignedIn option (only the root README and the .d.ts do)"
  grep -Eq 'login\.begin\([^)]*\)[^.]*(new id|regenerat)' "$readme" || echo "WARN mfa-login README.md (shipped) does not say what login.begin() does to the session (new id) or what it answers"
  grep -Eq '`signedIn`|mfa\.signedIn' "$PACK_DIR/unpacked/core/package/README.md" || echo "WARN core README.md (shipped) does not list request.mfa.signedIn"
  rm -rf "$PACK_DIR/unpacked"
  ls -l "$PACK_DIR"
  return $bad
}

# ── 2. a fresh Fastify 5 app outside the repository, with the tarballs installed together ──────────
install_app () {
  cat >"$APP_DIR/package.json" <<'JSON'
{
  "name": "fastify-mfa-dropin-host",
  "version": "1.0.0",
  "private": true,
  "type": "module",
  "description": "A host app outside the fastify-mfa monorepo (dropin/run.sh)"
}
JSON
  cp "$HERE/app/server.mjs" "$HERE/app/smoke.mjs" "$HERE/app/consumer.ts" "$HERE/app/tsconfig.json" "$APP_DIR/"
  # One npm install, so the packages' ^0.1.0 ranges on each other are met by the tarballs, not the registry.
  (cd "$APP_DIR" && npm install --no-audit --no-fund "$PACK_DIR"/*.tgz \
    fastify@5 @fastify/cookie @fastify/session mongodb@6 typescript@~5.9 @types/node@20)
  # Every @fastify-mfa package is the packed one, installed once, at the top.
  (cd "$APP_DIR" && node -e '
    const lock = require("./package-lock.json").packages
    let bad = 0
    for (const [path, entry] of Object.entries(lock)) {
      if (!/(^|\/)node_modules\/@fastify-mfa\//.test(path)) continue
      const file = typeof entry.resolved === "string" && entry.resolved.startsWith("file:") ? require("node:path").resolve(entry.resolved.slice(5)) : ""
      const fromTarball = file.startsWith(process.argv[1] + "/") && file.endsWith(".tgz")
      const nested = path.split("node_modules/").length > 2
      console.log(`${path} ${entry.version} ${entry.resolved}`)
      if (!fromTarball) { console.log(`FAIL ${path} was not installed from a packed tarball`); bad = 1 }
      if (nested) { console.log(`FAIL ${path} is a second, nested copy (a ^0.1.0 range not met by the tarball)`); bad = 1 }
    }
    const v = (n) => require(`./node_modules/${n}/package.json`).version
    console.log(`fastify ${v("fastify")}, @fastify/session ${v("@fastify/session")}, @fastify/cookie ${v("@fastify/cookie")}, mongodb ${v("mongodb")}, typescript ${v("typescript")}`)
    if (!v("fastify").startsWith("5.")) { console.log("FAIL fastify is not 5.x"); bad = 1 }
    if (!v("mongodb").startsWith("6.")) { console.log("FAIL mongodb is not 6.x"); bad = 1 }
    process.exit(bad)
  ' "$PACK_DIR")
  # npm reports unmet peers and invalid ranges here.
  (cd "$APP_DIR" && npm ls --all >/dev/null 2>"$LOG_DIR/npm-ls.err") || { echo "FAIL npm ls --all:"; cat "$LOG_DIR/npm-ls.err"; exit 1; }
}

# ── 3. the host's smoke test, in the temporary app ─────────────────────────────────────────────────
smoke () {
  (cd "$APP_DIR" && DROPIN_REPO="$ROOT" node --test-reporter=spec smoke.mjs)
}

# ── 4. the TypeScript consumer against the packed types ────────────────────────────────────────────
typecheck () {
  cd "$APP_DIR"
  echo "consumer.ts with skipLibCheck: false (strict, NodeNext), typescript $(npx --no-install tsc --version)"
  if npx --no-install tsc --noEmit -p tsconfig.json >"$LOG_DIR/tsc.out" 2>&1; then
    echo "tsc --noEmit: no errors, library declarations included"
    return 0
  fi
  cat "$LOG_DIR/tsc.out"
  # Errors only in installed declarations: say so, and check the consumer itself with skipLibCheck.
  if grep -E '^[^ ].*error TS' "$LOG_DIR/tsc.out" | grep -qv '^node_modules/'; then
    echo "FAIL the consumer itself does not type-check"
    return 1
  fi
  echo "WARN types: tsc fails with skipLibCheck false, only in node_modules declarations (above); checked again with skipLibCheck true"
  npx --no-install tsc --noEmit -p tsconfig.json --skipLibCheck
}

step "preflight (node, oathtool, built dist, temp dirs outside the repo)" preflight
[ "$STEP_OK" = 1 ] || { summary; exit 1; }
step "npm pack ${#PACKAGES[@]} packages; check each tarball" pack
# A tarball that fails a check still installs: go on, so one run shows every problem.
if [ "$(find "$PACK_DIR" -maxdepth 1 -name '*.tgz' | wc -l)" -eq ${#PACKAGES[@]} ]; then
  step "fresh Fastify 5 app: npm install of the tarballs + mongodb@6" install_app
  if [ "$STEP_OK" = 1 ]; then
    step "smoke test of the host (node:test, app.inject, oathtool)" smoke
    step "tsc --noEmit on consumer.ts against the packed types" typecheck
  fi
fi
summary
exit "$FAILED"
