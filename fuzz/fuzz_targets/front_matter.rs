#![no_main]
//! `scripts/fuzz` target: see `ancapex::fuzz::front_matter`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ancapex::fuzz::front_matter(data));
