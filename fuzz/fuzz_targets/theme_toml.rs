#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::theme_toml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::theme_toml(data));
