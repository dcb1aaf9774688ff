// Starts the desktop: loads the wasm-bindgen module and its WebAssembly, named (with their content hashes) in
// this script element's data attributes by the build (Trunk.toml pattern_script). A file of its own, not an
// inline script, so the Content Security Policy can refuse every inline script.
const me = document.querySelector("script[data-wasm]");
const { default: init } = await import(me.dataset.js);
await init({ module_or_path: me.dataset.wasm });
