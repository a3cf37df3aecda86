#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::artifact_record`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::artifact_record(data));
