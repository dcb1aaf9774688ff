// Starts the app without an inline script (see Trunk.toml pattern_script and the CSP in index.html).
const me = document.querySelector("script[data-wasm]");
const { default: init } = await import(me.dataset.js);
await init({ module_or_path: me.dataset.wasm });
