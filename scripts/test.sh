#!/usr/bin/env bash
# The whole caunoi test suite, from a fresh clone:
#   1. every Rust test of the workspace on SQLite;
#   2. the application tests again on PostgreSQL, when a server answers (CAUNOI_TEST_DATABASE_URL,
#      or the local server at 127.0.0.1:5432 as user postgres);
#   3. the browser tests in e2e/ (Playwright driving Debian's Chromium) against the debug build;
#   4. the real Open311 clients from PyPI against a demo of the debug build (e2e/open311/run.sh).
# Installs what it needs (npm packages for e2e; Chromium through apt when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every cargo call uses the same packages and features, so caunoi is compiled once: the test
# build also produces target/debug/caunoi, which the browser tests run.
cargo_test=(cargo test --workspace --features caunoi-zalo/fake)

echo "== Rust tests on SQLite"
env -u CAUNOI_TEST_DATABASE_URL "${cargo_test[@]}"

pg_url="${CAUNOI_TEST_DATABASE_URL:-}"
if [[ -z "$pg_url" ]] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_url="postgres://postgres@127.0.0.1:5432/postgres"
fi
if [[ -n "$pg_url" ]]; then
  echo "== Application tests on PostgreSQL"
  CAUNOI_TEST_DATABASE_URL="$pg_url" "${cargo_test[@]}"
else
  echo "== PostgreSQL not reachable: set CAUNOI_TEST_DATABASE_URL to run the suite on it too" >&2
fi

echo "== Browser tests"
if ! command -v chromium >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install Debian's chromium package (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi
"${cargo_test[@]}" --no-run --quiet
(cd e2e && npm ci --no-audit --no-fund --loglevel=error && CAUNOI_BIN="$PWD/../target/debug/caunoi" npm test)

echo "== Open311 clients"
bash e2e/open311/run.sh
