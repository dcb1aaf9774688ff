//! agent-desktop: a contact-center agent desktop for ServiceNow OpenFrame.
//!
//! Pure cores (config, openframe protocol and origin rules) are plain Rust tested on the host; the browser
//! edges are thin adapters; the UI talks only to the [`desk::Desk`] store.

pub mod app;
pub mod b64;
pub mod browser;
pub mod cell;
pub mod config;
pub mod desk;
pub mod diagnostics;
#[cfg(test)]
pub mod fuzz_rng;
pub mod blocks;
pub mod heap;
pub mod intl;
pub mod json;
pub mod openframe;
pub mod phone;
pub mod servicenow;
pub mod stored;
pub mod strings;
pub mod tabs;
pub mod text;
pub mod trust;
pub mod vecmap;
pub mod ui;

/// An unsigned decimal number, as `str::parse` reads it for the type `T` (an optional `+`, then digits; `None`
/// when empty, not digits or too big for `T`). One `u64` parser serves every width: `parse::<u16>()`,
/// `parse::<u32>()` and so on are each their own copy of the parser in the wasm.
pub fn uint<T: TryFrom<u64>>(s: &str) -> Option<T> {
    T::try_from(uint64(s)?).ok()
}

#[inline(never)]
fn uint64(s: &str) -> Option<u64> {
    s.parse().ok()
}

#[cfg(test)]
mod uint_tests {
    /// `uint` accepts and refuses exactly what `str::parse` does for each width (the SIP and REST numbers
    /// read through it came from `parse` before).
    #[test]
    fn uint_reads_as_parse_does_for_every_width() {
        let long_zeros = format!("{}7", "0".repeat(200));
        let texts = ["", "+", "-", "-0", "0", "+5", " 5", "5 ", "1_0", "255", "256", "65535", "65536", "4294967295", "4294967296",
            "18446744073709551615", "18446744073709551616", "١", "5\u{0}", "0x10", &long_zeros];
        for t in texts {
            assert_eq!(super::uint::<u8>(t), t.parse::<u8>().ok(), "u8 {t:?}");
            assert_eq!(super::uint::<u16>(t), t.parse::<u16>().ok(), "u16 {t:?}");
            assert_eq!(super::uint::<u32>(t), t.parse::<u32>().ok(), "u32 {t:?}");
            assert_eq!(super::uint::<u64>(t), t.parse::<u64>().ok(), "u64 {t:?}");
            assert_eq!(super::uint::<usize>(t), t.parse::<usize>().ok(), "usize {t:?}");
        }
    }
}

/// Entry point used by `main.rs`: mounts the app on the page body.
pub fn start() {
    // Panic messages in the console while developing; release builds abort without the formatting code.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    intl::init();
    leptos::mount::mount_to_body(app::App);
}
