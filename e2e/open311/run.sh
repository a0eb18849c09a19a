#!/usr/bin/env bash
# The real Open311 clients from PyPI, unchanged (civicbot 0.4.0, georeport 0.3.1), against a
# fresh `caunoi demo` on a free port with a temporary data directory: check_clients.py lists
# services, reads a definition, files a request with the demo's API key (demo.json) and reads
# requests back in JSON and XML. Uses target/debug/caunoi unless CAUNOI_BIN says otherwise; the
# clients live in a venv under target/open311-venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
bin="${CAUNOI_BIN:-$root/target/debug/caunoi}"
venv="$root/target/open311-venv"

if [[ ! -x "$bin" ]]; then
  echo "caunoi binary not found at $bin: build it first (cargo build -p caunoi)" >&2
  exit 1
fi
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "python3-venv is missing: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check civicbot==0.4.0 georeport==0.3.1

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_dir=$(mktemp -d "${TMPDIR:-/tmp}/caunoi-open311-XXXXXX")
log="$data_dir/caunoi.log"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# The production free-space floor for media (2 GiB) may be more than a CI machine's temporary disk.
CAUNOI_MEDIA_FREE_FLOOR=1MB RUST_LOG=warn "$bin" demo --data-dir "$data_dir" --listen "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!

"$venv/bin/python" - "$port" "$pid" "$data_dir/demo.json" <<'PY' || { cat "$log" >&2; exit 1; }
import os, sys, time, urllib.request
port, pid, demo = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.time() + 60
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("caunoi exited early")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            if r.status == 200 and os.path.exists(demo):
                break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("caunoi did not answer in time")
    time.sleep(0.2)
PY

echo "== Open311 clients (civicbot 0.4.0, georeport 0.3.1) against caunoi demo on port $port"
"$venv/bin/python" "$root/e2e/open311/check_clients.py" --demo-json "$data_dir/demo.json" || { cat "$log" >&2; exit 1; }
