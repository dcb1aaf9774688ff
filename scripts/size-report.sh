#!/usr/bin/env bash
# Prints the transfer size of a built desktop (default dist/): wasm, JS and CSS, raw and gzip -9.
# Budget for the finished product: under 350 KB gzip in total.
set -euo pipefail
dir="${1:-dist}"
total_raw=0; total_gz=0
printf '%-6s %10s %10s  %s\n' kind raw gzip file
for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-6s %10d %10d  %s\n' "${f##*.}" "$raw" "$gz" "$(basename "$f")"
done
printf "%-6s %10d %10d  (budget 350000 gzip: %s)\n" total "$total_raw" "$total_gz" \
  "$([ "$total_gz" -lt 350000 ] && echo within || echo OVER)"
