#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::markdown`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::markdown(data));
