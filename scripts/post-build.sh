#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml); see scripts/post-build.mjs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# Debug builds: only the language files loaded on demand (lang/*.txt) are written out of the wasm.
[ "${TRUNK_PROFILE:-}" = "release" ] || exec node "$ROOT/scripts/post-build.mjs" --langs "$TRUNK_STAGING_DIR"
export MINIFY_MODULES="$TOOLS/minify/node_modules"
exec node "$ROOT/scripts/post-build.mjs" "$TRUNK_STAGING_DIR"
