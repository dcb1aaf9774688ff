#!/usr/bin/env bash
# Prints the interop matrix (scenario x peer: pass / FAIL / - for not run) from the lines the end-to-end interop
# tests append to E2E_ARTIFACTS/interop-results.txt ("peer<TAB>scenario<TAB>pass|FAIL"). A scenario that ran more
# than once for a peer counts as FAIL if any run failed.
set -euo pipefail
file="${1:-target/e2e/interop-results.txt}"
if [ ! -s "$file" ]; then
  echo "interop matrix: no results (the interop tests did not run)"
  exit 0
fi
echo
echo "=== interop matrix (scenario x far end)"
awk -F'\t' '
  { if (!($1 in seenp)) { seenp[$1]=1; peers[++np]=$1 }
    if (!($2 in seens)) { seens[$2]=1; scen[++ns]=$2 }
    k=$1 SUBSEP $2; if (r[k] != "FAIL") r[k]=$3 }
  END {
    w=8; for (i=1;i<=ns;i++) if (length(scen[i])>w) w=length(scen[i])
    printf "%-" w "s", "scenario"; for (j=1;j<=np;j++) printf "  %-9s", peers[j]; printf "\n"
    for (i=1;i<=ns;i++) {
      printf "%-" w "s", scen[i]
      for (j=1;j<=np;j++) { k=peers[j] SUBSEP scen[i]; printf "  %-9s", (k in r) ? r[k] : "-" }
      printf "\n"
    }
  }' "$file"
