#!/usr/bin/env bash
# Tandem's two set-up commands (see README):
#   ./tandem.sh run    build in release and start Tandem on SQLite with demo data
#   ./tandem.sh test   run every test: Rust unit + integration (SQLite and PostgreSQL),
#                      Python API-client tests and Playwright browser tests
#   ./tandem.sh bench  benchmarks (prints figures)
# Tools are installed only when missing; nothing is downloaded from outside the package
# registries (crates.io, npm, PyPI, Debian).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH" # npm's wasm-opt before Debian's

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

ensure_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  local want; want=$(wasm_bindgen_version)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (once, about 2 minutes)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules ]; then
    say "installing npm packages (Playwright, binaryen, esbuild)"
    (cd end2end && npm ci --no-audit --no-fund)
    touch end2end/node_modules
  fi
}

ensure_test_tools() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium
  fi
  if [ ! -x .venv/bin/pytest ] || [ tests/api/requirements.txt -nt .venv/bin/pytest ]; then
    say "creating the Python venv for the API-client tests"
    python3 -m venv .venv
    .venv/bin/pip install -q -r tests/api/requirements.txt
    touch .venv/bin/pytest
  fi
}

# build_site debug|release: the wasm bundle, its JS glue, CSS and public files in target/site.
build_site() {
  local profile=$1 cargo_profile dir
  if [ "$profile" = release ]; then cargo_profile=(--profile wasm-release); dir=wasm-release; else cargo_profile=(); dir=debug; fi
  say "building the browser bundle ($profile)"
  cargo build -p frontend --lib --target wasm32-unknown-unknown --no-default-features --features hydrate "${cargo_profile[@]}"
  rm -rf target/site && mkdir -p target/site/pkg
  wasm-bindgen --target web --out-dir target/site/pkg --out-name tandem "target/wasm32-unknown-unknown/$dir/frontend.wasm"
  mv target/site/pkg/tandem_bg.wasm target/site/pkg/tandem.wasm
  if [ "$profile" = release ]; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int target/site/pkg/tandem.wasm -o target/site/pkg/tandem.wasm
    local wasm js
    wasm=$(gzip -9c target/site/pkg/tandem.wasm | wc -c); js=$(gzip -9c target/site/pkg/tandem.js | wc -c)
    say "bundle size (gzip -9): tandem.wasm $((wasm / 1024)) KB + tandem.js $((js / 1024)) KB = $(((wasm + js) / 1024)) KB"
  fi
  cp style/main.css target/site/pkg/tandem.css
  if [ -d public ]; then cp -r public/. target/site/; fi
}

build_server() {
  say "building the server ($1)"
  if [ "$1" = release ]; then cargo build -p server --release; else cargo build -p server; fi
}

cmd_run() {
  ensure_tools
  build_site release
  build_server release
  export TANDEM_DATABASE_URL=${TANDEM_DATABASE_URL:-sqlite://data/tandem.db}
  export TANDEM_DATA_DIR=${TANDEM_DATA_DIR:-data/files}
  export TANDEM_LISTEN=${TANDEM_LISTEN:-127.0.0.1:3000}
  export TANDEM_DEMO=${TANDEM_DEMO:-1}
  cat <<TXT

  Tandem is starting at http://$TANDEM_LISTEN  (database: $TANDEM_DATABASE_URL)

  Demo logins (password: tandem-demo)
    admin@tandem.test      Ada Admin     admin, all groups
    agent1@tandem.test     Anna Agent    agent, full access to Users and Sales
    agent2@tandem.test     Bob Agent     agent, read-only access to Users
    nicole@customer.test   Nicole Braun  customer, Acme Corp (shared organisation)
    sam@customer.test      Sam Smith     customer, Acme Corp
    lee@other.test         Lee Lone      customer, Solo Ltd (not shared)

  REST API: http://$TANDEM_LISTEN/api/v1   OpenAPI: http://$TANDEM_LISTEN/api/v1/openapi.json
  Stop with Ctrl-C.

TXT
  exec target/release/tandem
}

SERVER_PID=""
SERVER_DIR=""
stop_test_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_DIR" ]; then rm -rf "$SERVER_DIR"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cmd_test() {
  ensure_tools
  ensure_test_tools
  local results=()
  if [ -z "${TANDEM_TEST_POSTGRES_URL:-}" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export TANDEM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
  fi
  if [ -n "${TANDEM_TEST_POSTGRES_URL:-}" ]; then
    say "PostgreSQL half runs against $TANDEM_TEST_POSTGRES_URL (a fresh database per test)"
  else
    say "PostgreSQL not available: the PostgreSQL half of the tests is SKIPPED (set TANDEM_TEST_POSTGRES_URL)"
  fi

  TEST_LOG=$(mktemp)
  say "Rust unit and integration tests"
  cargo test --workspace 2>&1 | tee -a "$TEST_LOG"

  build_site debug
  build_server debug
  local port dir
  port=$(free_port); dir=$(mktemp -d)
  SERVER_DIR=$dir
  say "starting Tandem on 127.0.0.1:$port with a fresh SQLite database"
  TANDEM_LISTEN=127.0.0.1:$port TANDEM_DATABASE_URL="sqlite://$dir/tandem.db" TANDEM_DATA_DIR="$dir/files" \
    TANDEM_DEMO=1 TANDEM_SYSTEM_ID=31 target/debug/tandem > "$dir/server.log" 2>&1 &
  SERVER_PID=$!
  trap stop_test_server EXIT
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/api/v1/openapi.json" > /dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log"; echo "server died"; exit 1; }
    sleep 0.5
  done
  export TANDEM_URL=http://127.0.0.1:$port BASE_URL=http://127.0.0.1:$port

  say "API-client tests (zammad_py)"
  (cd tests/api && ../../.venv/bin/pytest -q) 2>&1 | tee -a "$TEST_LOG"

  say "browser tests (Playwright, Debian chromium)"
  (cd end2end && npx playwright test) 2>&1 | tee -a "$TEST_LOG"

  local passed
  passed=$(grep -oE '(test result: ok\. [0-9]+ passed|^[0-9]+ passed in|^ +[0-9]+ passed \()' "$TEST_LOG" | grep -oE '[0-9]+ passed' | awk '{ s += $1 } END { print s }')
  say "all tests passed (Rust, Python API clients, Playwright)"
  echo "tests: $passed passed, 0 failed"
}

cmd_bench() {
  ensure_tools
  say "building the benchmark (release)"
  cargo build --release -p bench
  target/release/tandem-bench "$@"
}

case "${1:-}" in
  run) shift; cmd_run "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) echo "usage: $0 run | test | bench" >&2; exit 2 ;;
esac
