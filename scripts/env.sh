# Shared settings for the project's scripts (sourced, not run).
# The build cache lives outside the clone so repeated runs (and CI's fresh clones) build incrementally.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${AGENT_DESKTOP_CACHE:-$HOME/.cache/agent-desktop}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TOOLS="$CACHE/tools"
# The npm build of binaryen (wasm-opt 132) goes first on PATH; Debian's binaryen 108 breaks the wasm (STACK.md).
export PATH="$TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
