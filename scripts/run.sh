#!/usr/bin/env bash
# Installs what is missing, then serves the desktop (trunk serve, http://localhost:8080) inside the sandbox
# (a stand-in ServiceNow, http://127.0.0.1:8090) on the demo line. Ctrl-C stops both.
#   DESKTOP_PORT / SANDBOX_PORT override the ports.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh" run

DESKTOP_PORT="${DESKTOP_PORT:-8080}"
SANDBOX_PORT="${SANDBOX_PORT:-8090}"

echo "[run] building the sandbox"
cargo build -q -p sandbox

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "[run] stopped"
}
trap cleanup INT TERM EXIT

"$CARGO_TARGET_DIR/debug/sandbox" --port "$SANDBOX_PORT" --desktop-url "http://localhost:$DESKTOP_PORT/" &
pids+=($!)
trunk serve --port "$DESKTOP_PORT" --address 127.0.0.1 &
pids+=($!)

cat <<MSG

  Sandbox (a stand-in ServiceNow, open this):  http://127.0.0.1:$SANDBOX_PORT/
  Desktop on its own (popped out):             http://localhost:$DESKTOP_PORT/
  The first build takes a few minutes; the desktop appears in the sandbox's phone window when it is ready.
  Press Ctrl-C to stop both.

MSG
wait -n "${pids[@]}"
