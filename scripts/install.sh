#!/usr/bin/env bash
# Installs what the project needs and is missing; skips what is already there.
#   scripts/install.sh run    tools to build and serve the desktop (wasm target, trunk, wasm-bindgen-cli, wasm-opt)
#   scripts/install.sh test   the above plus the test peers (chromium, chromedriver, kamailio, sipp)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
what="${1:-run}"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

apt_updated=""
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: this machine kind ships Rust via rustup; install it first." >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (about 20 minutes on 2 cores, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --locked "wasm-bindgen-cli@$WASM_BINDGEN_VERSION" || cargo install --force "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

if ! "$TOOLS/binaryen/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  if ! command -v npm >/dev/null; then
    say "installing nodejs and npm (for binaryen's wasm-opt)"
    apt_install nodejs npm
  fi
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $TOOLS/binaryen"
  mkdir -p "$TOOLS/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/binaryen" "binaryen@$BINARYEN_VERSION"
fi

if [ "$what" = "test" ]; then
  apt_install chromium chromium-driver kamailio kamailio-websocket-modules sip-tester iproute2 util-linux
  # Debian's kamailio package may start nothing by itself, but make sure no system instance holds our ports.
  if command -v systemctl >/dev/null && systemctl is-active --quiet kamailio 2>/dev/null; then systemctl stop kamailio || true; fi
fi
say "tools ready ($what)"
