#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml): release builds only; see scripts/post-build.mjs.
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = "release" ] || exit 0
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export MINIFY_MODULES="$TOOLS/minify/node_modules"
exec node "$ROOT/scripts/post-build.mjs" "$TRUNK_STAGING_DIR"
