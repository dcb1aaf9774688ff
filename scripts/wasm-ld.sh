#!/usr/bin/env bash
# The linker of the wasm builds (.cargo/config.toml): rust-lld, called with rustc's own arguments except the exports
# of wasm-streams' IntoUnderlying{Source,ByteSource,Sink} classes (their methods, `free` and wasm-bindgen describe
# functions). Leptos's server-function support links wasm-streams, whose `#[wasm_bindgen]` classes rustc exports
# from every build; the desktop has no server functions and its JS never uses the classes (scripts/post-build.mjs
# removes them from the glue). Not exported, their code is unreachable and the linker's --gc-sections drops it,
# with everything only it uses (future_to_promise closures, drop glue, vtables, their function-table entries);
# wasm-bindgen then finds no descriptor for these methods and emits none (README, "Release size").
set -euo pipefail
args=()
for a in "$@"; do
  if [ "${#args[@]}" -gt 0 ] && [ "${args[-1]}" = "--export" ]; then
    case "$a" in
      intounderlying*_[0-9a-f]*|__wbindgen_describe_intounderlying*|__wbg_intounderlying*_free_*)
        unset 'args[-1]'
        continue ;;
    esac
  fi
  case "$a" in
    --export=intounderlying*|--export=__wbindgen_describe_intounderlying*|--export=__wbg_intounderlying*) continue ;;
  esac
  args+=("$a")
done
# rustc puts its own tools (rust-lld) first on the linker's PATH.
exec rust-lld "${args[@]}"
