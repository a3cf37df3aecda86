#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::failure_report`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::failure_report(data));
