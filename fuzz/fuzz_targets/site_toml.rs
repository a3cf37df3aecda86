#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::site_toml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::site_toml(data));
