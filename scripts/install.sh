#!/usr/bin/env bash
# Installs what the project needs and is missing; skips what is already there.
#   scripts/install.sh run    tools to build and serve the desktop (wasm target, trunk, wasm-bindgen-cli, wasm-opt)
#   scripts/install.sh test   the above plus the test peers (chromium, chromedriver, kamailio, sipp, nftables) and the interop
#                             bed (rtpengine, baresip, coturn; SIP.js and JsSIP from npm into tests/interop/js)
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

# Debian daemons whose packages would start a service: install them without letting the service start.
apt_install_quiet_daemons() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; added=1; fi
  apt_install "${missing[@]}" || { [ -n "$added" ] && rm -f "$policy"; return 1; }
  [ -n "$added" ] && rm -f "$policy"
  return 0
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

# Release builds minify the wasm-bindgen JS glue with terser (Trunk.toml post_build hook, scripts/post-build.mjs):
# exact versions from the committed lock file scripts/minify/package-lock.json, into the tools cache.
minify="$TOOLS/minify"
if ! cmp -s "$ROOT/scripts/minify/package-lock.json" "$minify/package-lock.json" || [ ! -f "$minify/node_modules/terser/dist/bundle.min.js" ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  say "installing terser (npm ci from scripts/minify/package-lock.json) into $minify"
  mkdir -p "$minify"
  cp "$ROOT/scripts/minify/package.json" "$ROOT/scripts/minify/package-lock.json" "$minify/"
  (cd "$minify" && npm ci --silent --no-audit --no-fund)
fi

if [ "$what" = "test" ]; then
  apt_install chromium chromium-driver kamailio kamailio-websocket-modules sip-tester iproute2 util-linux
  # nftables: the call-quality test drops a random share of the media packets inside its own network namespace
  # (this kernel has no sch_netem; nf_tables with numgen is built in).
  apt_install nftables
  # The interop bed: rtpengine (media relay, userspace), baresip (a plain SIP phone; baresip-core has the modules
  # the tests use: ausine, aufile, sndfile, ctrl_tcp, g711, opus, dtls_srtp, ice) and coturn (TURN).
  apt_install_quiet_daemons rtpengine-daemon baresip-core coturn
  # Debian's packages may start nothing by themselves, but make sure no system instance holds our ports.
  for svc in kamailio rtpengine-daemon coturn; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
  done
  # Browser SIP stacks for the interop tests, exact versions from the committed lock file, into a git-ignored
  # node_modules (the tests serve them from their own HTTP server).
  command -v npm >/dev/null || apt_install nodejs npm
  js="$ROOT/tests/interop/js"
  if ! (cd "$js" && node -e 'const l=require("./package-lock.json").packages; for (const [p,v] of Object.entries(l)) { if (!p) continue; if (require("./"+p+"/package.json").version !== v.version) process.exit(1) }' 2>/dev/null); then
    say "installing SIP.js and JsSIP (npm ci in tests/interop/js)"
    (cd "$js" && npm ci --silent --no-audit --no-fund)
  fi
fi
say "tools ready ($what)"
