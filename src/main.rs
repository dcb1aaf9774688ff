//! The desktop's entry. In the wasm, wasm-bindgen runs `run` when the module starts (`#[wasm_bindgen(start)]`)
//! and there is no `fn main`, so std's start-up code for a program (`lang_start`: arguments, the main thread's
//! name, the exit code), which a page has no use for, is not linked. Other targets keep a plain `main`; a test
//! build of this file in the wasm gets the test harness's (and does not start the desktop).
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_main)]

#[cfg(all(target_arch = "wasm32", not(test)))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn run() {
    agent_desktop::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    agent_desktop::start();
}
