#!/usr/bin/env bash
# Prints the transfer size of a built desktop (default dist/): wasm, JS and CSS, raw and gzip -9 (the total is what an
# English-speaking agent loads; the languages loaded on demand follow on their own lines); then where the
# wasm's bytes go, per crate and per module of the desktop, from a names-kept build of the same wasm (the cargo
# output trunk left in $CARGO_TARGET_DIR, run through wasm-bindgen --keep-debug and the release's own post-build
# steps and wasm-opt passes plus -g; scripts/wasm-sizes.mjs sums it; 15-60 s; SIZE_WHERE=0 skips it).
# SIZE_FUNCS=N also lists the N biggest functions (SIZE_FILTER=regex keeps those whose name or group matches).
# Target for the finished product: under 300 KB gzip in total (issue #16; the README says where it stands).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
dir="${1:-dist}"
budget=300000
total_raw=0; total_gz=0
printf '%-6s %10s %10s  %s\n' kind raw gzip file
for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-6s %10d %10d  %s\n' "${f##*.}" "$raw" "$gz" "$(basename "$f")"
done
printf "%-6s %10d %10d  (target %d gzip: %s)\n" total "$total_raw" "$total_gz" "$budget" \
  "$([ "$total_gz" -lt "$budget" ] && echo within || echo "OVER by $((total_gz - budget))")"
# Languages loaded on demand (lang/<tag>-<hash>.txt): only an agent who uses one loads it, so the total above is
# what an English agent loads; each language's line after them adds its file.
for f in "$dir"/lang/*.txt; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-6s %10d %10d  %s (on demand)\n' lang "$raw" "$gz" "lang/$(basename "$f")"
  tag=$(basename "$f"); tag=${tag%%-*}
  printf '%-6s %10d %10d  (what an agent in %s loads)\n' "+$tag" "$((total_raw + raw))" "$((total_gz + gz))" "$tag"
done

[ "${SIZE_WHERE:-1}" = "0" ] && exit 0
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/agent-desktop.wasm"
if [ ! -f "$wasm" ]; then
  echo "(where the bytes go: no cargo release output in $CARGO_TARGET_DIR; skipped)"; exit 0
fi
echo
echo "names-kept build of $wasm ($(date -u -r "$wasm" +%H:%M:%S) UTC)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --no-typescript --keep-debug --out-dir "$tmp" "$wasm"
node "$ROOT/scripts/post-build.mjs" --names "$tmp" "$tmp/names.wasm"
node "$ROOT/scripts/wasm-sizes.mjs" "$tmp/names.wasm" 30
if [ -n "${SIZE_FUNCS:-}" ]; then
  echo
  node "$ROOT/scripts/wasm-sizes.mjs" "$tmp/names.wasm" --functions "$SIZE_FUNCS" ${SIZE_FILTER:+"$SIZE_FILTER"}
fi
