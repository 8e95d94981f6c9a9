//! Crash-safe recovery over arbitrary bytes: ring files, call-site tables
//! and state files are untrusted input, so any bytes give records, counted
//! skips or described problems — never a panic, an out-of-bounds access or
//! a hang. Run from `engine/`: `cargo +nightly fuzz run recover`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    uringlog::__private::fuzz_recover(data);
});
