#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::tlog_proof`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::tlog_proof(data));
