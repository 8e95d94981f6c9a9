//! A target named in the call site (a literal or a constant) longer than
//! a record's target can be (65,535 bytes) is cut at the same character
//! boundary whichever way its record goes: in binary and rendered by the
//! writer, formatted by the caller into a text record (whose header holds
//! the target's length in 16 bits), in sync mode, under `DropOldest`.
//! Before, only the text record cut it: `Formatting::Caller` wrote another
//! line than the default.

use std::time::Duration;
use uringlog::{Format, Formatting, Logger, MemorySink, Mode, Policy, SinkOptions, Timestamp};

const LEN: usize = 70_000;
/// `a` up to a two-byte `é` across the 65,535-byte limit.
static BYTES: [u8; LEN] = {
    let mut b = [b'a'; LEN];
    b[65_534] = 0xc3;
    b[65_535] = 0xa9;
    b
};
static LONG: &str = match std::str::from_utf8(&BYTES) {
    Ok(s) => s,
    Err(_) => panic!("UTF-8"),
};

/// The text a logger built by `with` writes for one call.
fn line(with: impl FnOnce(uringlog::Builder) -> uringlog::Builder) -> String {
    let (sink, out) = MemorySink::new();
    let b = Logger::builder()
        .sink_with(
            sink,
            SinkOptions::new().format(Format::text().timestamp(Timestamp::Off)),
        )
        .ring_capacity(1 << 20);
    let (l, g) = with(b).build().unwrap();
    uringlog::info!(l, target: LONG, "v {}", 1);
    let s = g.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!((s.enqueued, s.written), (1, 1));
    out.text()
}

#[test]
fn a_long_static_target_is_cut_alike_in_every_mode() {
    let want = format!("INFO  {}: v 1\n", "a".repeat(65_534));
    let got = [
        line(|b| b),
        line(|b| b.formatting(Formatting::Caller)),
        line(|b| b.mode(Mode::Sync)),
        line(|b| b.policy(Policy::DropOldest)),
    ];
    for (mode, got) in ["deferred", "caller", "sync", "drop oldest"]
        .iter()
        .zip(&got)
    {
        assert!(
            got == &want,
            "{mode}: {} bytes, want {}",
            got.len(),
            want.len()
        );
    }
}
