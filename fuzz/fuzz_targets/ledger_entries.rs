#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::ledger_entries`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::ledger_entries(data));
