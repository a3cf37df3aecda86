#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::checkpoint`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::checkpoint(data));
