#!/usr/bin/env bash
# Installs what is missing, then runs every test layer and prints one summary line `N passed, N failed`.
#   1. host:     cargo test (pure cores, sandbox)
#   2. browser:  wasm-bindgen-test in headless Chromium
#   3. release build + size report
#   4. end-to-end: real Chromium over WebDriver against the release build inside the sandbox, in a private
#                  network namespace that has only loopback
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install.sh" test || { echo "install failed"; exit 1; }

LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
# Only this run's layer logs count (the hostile-case figure below is computed from them).
rm -f "$LOGS"/*.log
passed=0; failed=0; broken=()

# Runs a cargo test command, shows its output, and adds its "test result" lines to the totals.
layer() {
  local name="$1"; shift
  echo
  echo "=== $name: $*"
  local log="$LOGS/$name.log"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^passed/) s+=$i} END{print s+0}' "$log")
  f=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^failed/) s+=$i} END{print s+0}' "$log")
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then
    broken+=("$name")
    # A crash or build error counts as a failure even when no test result line was printed.
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
  echo "=== $name: $p passed, $f failed (exit $rc)"
}

layer host cargo test --no-fail-fast --workspace --exclude e2e

echo
echo "=== benchmark: SIP parser and serializer (figures, not a test)"
cargo bench -q --bench sip 2>&1 | tee "$LOGS/bench-sip.txt" | grep -E "messages/s|error" || true

layer browser env CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --no-fail-fast -p agent-desktop --target wasm32-unknown-unknown --test browser

echo
echo "=== release build (trunk build --release)"
if trunk build --release --dist "$ROOT/dist" >"$LOGS/release.log" 2>&1; then
  "$ROOT/scripts/size-report.sh" "$ROOT/dist" | tee "$LOGS/size.txt"
else
  tail -40 "$LOGS/release.log"
  broken+=("release-build"); failed=$((failed + 1))
fi

if [ -f "$ROOT/dist/index.html" ]; then
  cargo build -q -p sandbox && cargo test -q -p e2e --no-run >"$LOGS/e2e-build.log" 2>&1 || { tail -40 "$LOGS/e2e-build.log"; }
  export E2E_DIST="$ROOT/dist" E2E_SANDBOX_BIN="$CARGO_TARGET_DIR/debug/sandbox" E2E_ARTIFACTS="$ROOT/target/e2e"
  mkdir -p "$E2E_ARTIFACTS"; rm -f "$E2E_ARTIFACTS/interop-results.txt"
  # Only loopback inside: WebRTC media and every server stay on this machine.
  layer e2e unshare -n -- bash -c 'ip link set lo up && exec cargo test --no-fail-fast --offline -p e2e -- --test-threads=1 --nocapture'
  grep -h "^BENCH\|BENCH " "$LOGS/e2e.log" | sed 's/.*BENCH/BENCH/' || true
  "$ROOT/scripts/interop-matrix.sh" "$E2E_ARTIFACTS/interop-results.txt" | tee "$LOGS/interop-matrix.txt"
  # The chaos run (tests/e2e/tests/chaos.rs): activities written once, computed from the sandbox's journal.
  grep -h "^activity: \|^chaos run: \|^chaos seed " "$LOGS/e2e.log" || echo "activity: the chaos run printed no figure"
fi

# Hostile-input cases (tests whose name contains hostile_, in every layer): how many ran, and how many failed,
# i.e. found the desktop acting on the bad input. Result lines are `test <name> ... ok|FAILED` (cargo test),
# `... ok|FAIL` (wasm-bindgen-test); with --nocapture (e2e) the test's own output may come between the name and the
# result, which then stands alone on a line.
read -r hostile_tried hostile_failed < <(cat "$LOGS"/*.log 2>/dev/null | awk '
  /^test result:/ { next }
  /^test [^ ]+ \.\.\. / {
    name = $2; rest = $0; sub(/^test [^ ]+ \.\.\. /, "", rest); pending = ""
    if (rest ~ /^(ok|FAIL)/) { if (name ~ /hostile_/) { n++; if (rest ~ /^FAIL/) f++ } } else pending = name
    next
  }
  pending != "" && /^(ok|FAIL|FAILED)$/ { if (pending ~ /hostile_/) { n++; if ($0 ~ /^FAIL/) f++ }; pending = "" }
  END { print n + 0, f + 0 }')

# Shift benchmark and call set-up latency (issue #16; tests/e2e/tests/shift_bench.rs, shift_latency.rs): figures,
# not pass/fail, repeated here with the summary.
if [ -f "$LOGS/e2e.log" ]; then
  echo
  grep -h "BENCH shift\|BENCH dial-to-INVITE: median\|BENCH INVITE-to-alert\|BENCH answer-to-200" "$LOGS/e2e.log" | sed 's/.*BENCH /BENCH /' || true
fi

echo
echo "hostile cases: $hostile_tried tried, $hostile_failed acted on"
[ ${#broken[@]} -gt 0 ] && echo "layers with failures: ${broken[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]
