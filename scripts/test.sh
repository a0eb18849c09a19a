#!/usr/bin/env bash
# The whole caunoi test suite, from a fresh clone:
#   1. every Rust test of the workspace on SQLite;
#   2. the application tests again on PostgreSQL, when a server answers (CAUNOI_TEST_DATABASE_URL,
#      or the local server at 127.0.0.1:5432 as user postgres);
#   3. the browser tests in e2e/ (Playwright driving Debian's Chromium) against the debug build;
#   4. the real Open311 clients from PyPI against a demo of the debug build (e2e/open311/run.sh).
# The Rust tests of media kept in an S3-compatible bucket run against a real S3 server, s3s-fs
# (crates.io; it checks every request's SigV4 signature), started here on a free port with a
# throw-away bucket (CAUNOI_TEST_S3_URL). Installs what it needs (s3s-fs through cargo install,
# npm packages for e2e; Chromium through apt when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

# The S3-compatible test server: pinned (0.14.1 is the last release for Rust 1.95), installed
# once per machine into cargo's bin directory (about 3 minutes of CPU on 2 cores the first time).
S3S_FS_VERSION=0.14.1
s3_dir=""
s3_pid=""
stop_s3() {
  if [[ -n "$s3_pid" ]]; then
    kill "$s3_pid" 2>/dev/null || true
    wait "$s3_pid" 2>/dev/null || true
  fi
  if [[ -n "$s3_dir" ]]; then rm -rf "$s3_dir"; fi
}
trap stop_s3 EXIT
if [[ -z "${CAUNOI_TEST_S3_URL:-}" ]]; then
  s3s_fs="${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs"
  if [[ "$("$s3s_fs" --version 2>/dev/null)" != "s3s-fs $S3S_FS_VERSION" ]]; then
    echo "== Installing s3s-fs $S3S_FS_VERSION (the S3 test server)"
    cargo install --quiet --locked "s3s-fs@$S3S_FS_VERSION" --features binary
  fi
  s3_dir=$(mktemp -d "${TMPDIR:-/tmp}/caunoi-s3-XXXXXX")
  mkdir -p "$s3_dir/data/caunoi-test"
  s3_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  s3_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  "$s3s_fs" --host 127.0.0.1 --port "$s3_port" --access-key caunoi-test --secret-key "$s3_secret" \
    "$s3_dir/data" >"$s3_dir/s3s-fs.log" 2>&1 &
  s3_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
    sleep 0.2
  done
  export CAUNOI_TEST_S3_URL="http://127.0.0.1:$s3_port" CAUNOI_TEST_S3_BUCKET=caunoi-test
  export CAUNOI_TEST_S3_ACCESS_KEY=caunoi-test CAUNOI_TEST_S3_SECRET_KEY="$s3_secret"
fi

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
